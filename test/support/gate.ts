/** A promise and the function that settles it: holds a task (a slot, a render) until the test lets go. */
export function gate(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((settle) => (resolve = settle));
  return { promise, resolve };
}
