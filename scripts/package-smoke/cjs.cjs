// CommonJS users load the ESM-only packages with require() (Node >= 20.19): one copy of each
// class, so errors thrown inside the WAL are instances of the class the user imported.
const { Wal, WalError } = require('@nori/wal');
const esm = import('@nori/wal');
(async () => {
  const error = await Wal.open({ dir: '', maxSegmentSize: 1 }).catch((e) => e);
  if (!(error instanceof WalError)) throw new Error('WalError from require() is not instanceof WalError');
  if (!(error instanceof (await esm).WalError)) throw new Error('dual-package hazard: require() and import() gave two classes');
  console.log('cjs: ok');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
