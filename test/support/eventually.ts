/**
 * Asks until `check` holds, for what arrives a moment after the action that causes it (a notification, a log
 * line written when a reply has gone). Gives up with `what` after about five seconds.
 */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string): Promise<T> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const value = await read();
    if (check(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never happened: ${what}`);
}
