import { defineMemoryCampaign } from './crash-support/memory-suite.js';

// Two slices of the campaign (5,000 + 5,000 crash points) so the two CI cores share the work.
defineMemoryCampaign('crash-memory-1', 1, 5_000);
