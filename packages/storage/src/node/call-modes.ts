/**
 * Where {@link NodeFileStorage} runs a kind of system call: `'inline'` on the calling thread,
 * `'thread-pool'` on libuv's thread pool. Options `metadata` and `syncCalls` take it.
 */
export type CallMode = 'inline' | 'thread-pool';

/** The modes, for argument checks. */
export const CALL_MODES: readonly CallMode[] = ['inline', 'thread-pool'];

/** A synchronous call as a promise: its throw becomes a rejection, as the async call's would. */
export function inline<A extends unknown[], R>(call: (...args: A) => R): (...args: A) => Promise<R> {
  return (...args) => {
    try {
      return Promise.resolve(call(...args));
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/** A callback-style `fs` call as a promise. */
export function pooled<A extends unknown[], R>(call: (...args: [...A, (error: Error | null, result: R) => void]) => void): (...args: A) => Promise<R> {
  return (...args) => new Promise((resolve, reject) => call(...args, (error, result) => (error ? reject(error) : resolve(result))));
}
