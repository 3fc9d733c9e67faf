// Waiting for something that happens elsewhere (another process, a NOTIFY): poll, never sleep-and-hope.

/** Asks until the answer's status is `wanted` or `withinMs` has passed; returns the last answer. */
export async function answerWithin<T extends { status: number }>(ask: () => PromiseLike<T>, wanted: number, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const answer = await ask();
    if (answer.status === wanted || Date.now() >= deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
