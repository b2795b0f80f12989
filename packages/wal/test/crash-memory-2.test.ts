import { defineMemoryCampaign } from './crash-support/memory-suite.js';

// Second slice of the campaign: other seeds, another 5,000 crash points.
defineMemoryCampaign('crash-memory-2', 1_000_001, 5_000);
