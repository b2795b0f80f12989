/** Runs `run` and returns the `code` of what it threw ('none' when it did not throw). */
export function thrownCode(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : `no code: ${String(error)}`;
  }
  return 'none';
}
