import fc from 'fast-check';

// Property tests are deterministic by default; set FC_SEED to explore other inputs.
fc.configureGlobal({ seed: Number(process.env['FC_SEED'] ?? 20_261_125) });
