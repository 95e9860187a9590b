/** The steps of the app's stop, run in order and named, so a stop that overruns can say where it is stuck. */
export class StopSteps {
  #current: string | undefined;

  /** Runs one step; while it runs, `current` names it. */
  async run(name: string, step: () => unknown): Promise<void> {
    this.#current = name;
    await step();
    this.#current = undefined;
  }

  /** The step running now; undefined before the stop, between steps and once it is done. */
  get current(): string | undefined {
    return this.#current;
  }
}
