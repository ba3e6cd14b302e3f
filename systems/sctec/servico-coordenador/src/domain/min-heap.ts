/**
 * A binary min-heap. The lock table keeps lease expiries in one so that finding the next
 * lease to expire costs O(log n) instead of a scan over every held lock on each operation.
 */
export interface MinHeap<T> {
  push(item: T): void;
  peek(): T | undefined;
  pop(): T | undefined;
  /** Replaces the contents in O(n); used to drop entries that no longer matter. */
  reset(items: Iterable<T>): void;
  readonly size: number;
}

export function createMinHeap<T>(less: (a: T, b: T) => boolean): MinHeap<T> {
  let items: T[] = [];

  function swap(i: number, j: number): void {
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }

  function up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(items[i] as T, items[parent] as T)) return;
      swap(i, parent);
      i = parent;
    }
  }

  function down(i: number): void {
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && less(items[left] as T, items[smallest] as T)) smallest = left;
      if (right < items.length && less(items[right] as T, items[smallest] as T)) smallest = right;
      if (smallest === i) return;
      swap(i, smallest);
      i = smallest;
    }
  }

  return {
    push(item) {
      items.push(item);
      up(items.length - 1);
    },
    peek() {
      return items[0];
    },
    pop() {
      const top = items[0];
      const last = items.pop();
      if (items.length > 0 && last !== undefined) {
        items[0] = last;
        down(0);
      }
      return top;
    },
    reset(next) {
      items = [...next];
      for (let i = (items.length >> 1) - 1; i >= 0; i--) down(i);
    },
    get size() {
      return items.length;
    },
  };
}
