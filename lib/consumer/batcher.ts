interface Waiting<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Coalesces concurrent calls into batches: calls made while a batch is in flight wait and go
 * together in the next one. There is no timer: a lone call goes out at once, so batching costs no
 * latency when there is little work, and batches grow by themselves when there is a lot.
 * `runBatch` returns one output per input, in order; if it throws, every call of that batch does.
 */
export class Batcher<I, O> {
  readonly #runBatch: (inputs: I[]) => Promise<O[]>;
  #waiting: Array<Waiting<I, O>> = [];
  #inFlight = false;

  constructor(runBatch: (inputs: I[]) => Promise<O[]>) {
    this.#runBatch = runBatch;
  }

  run(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#waiting.push({ input, resolve, reject });
      // Calls made in the same turn of the event loop (workers woken by one reply) go together.
      if (this.#waiting.length === 1) queueMicrotask(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    if (this.#inFlight || this.#waiting.length === 0) return;
    this.#inFlight = true;
    const batch = this.#waiting;
    this.#waiting = [];
    try {
      const outputs = await this.#runBatch(batch.map((w) => w.input));
      batch.forEach((w, i) => w.resolve(outputs[i]));
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      this.#inFlight = false;
      void this.#flush();
    }
  }
}
