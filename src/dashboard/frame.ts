/** Batches DOM work per animation frame: changes only mark sections dirty, and each frame renders the dirty ones once. */

export interface FrameScheduler<S extends string> {
  /** Marks a section for the next frame (requesting one if none is pending). */
  mark(section: S): void;
}

export function createFrameScheduler<S extends string>(render: (dirty: ReadonlySet<S>) => void): FrameScheduler<S> {
  let dirty = new Set<S>();
  let requested = false;
  const flush = () => {
    const sections = dirty;
    dirty = new Set();
    requested = false;
    render(sections);
  };
  return {
    mark(section) {
      dirty.add(section);
      if (requested) return;
      requested = true;
      requestAnimationFrame(flush);
    },
  };
}
