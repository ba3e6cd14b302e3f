/**
 * Summarises a V8 .cpuprofile (what `node --cpu-prof` writes): self time per function and
 * inclusive time per code area (package or source folder), optionally limited to a time window.
 * Pure: give it the parsed JSON.
 */

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  /** Microseconds, on the monotonic clock of the profiled process. */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  functionName: string;
  /** Where the function lives, shortened (package name or repository-relative path). */
  location: string;
  area: string;
  selfMs: number;
  selfPercent: number;
}

export interface AreaTime {
  area: string;
  /** Samples whose own frame is in this area. */
  selfMs: number;
  selfPercent: number;
  /** Samples with at least one frame of this area on the stack. */
  inclusiveMs: number;
  inclusivePercent: number;
}

export interface ProfileSummary {
  /** Time covered by the samples kept (ms). */
  totalMs: number;
  sampleCount: number;
  /** Share of the window the thread was busy, i.e. not "(idle)" (percent). */
  busyPercent: number;
  /** True when the window given matched no sample and the whole profile was used instead. */
  windowIgnored: boolean;
  topFunctions: FunctionTime[];
  /**
   * Functions of npm packages and of this repository by inclusive time (the function anywhere
   * on the sampled stack). Async code resumes from the microtask queue, so this is the
   * synchronous part of each call only.
   */
  topInclusive: {
    functionName: string;
    location: string;
    area: string;
    inclusiveMs: number;
    inclusivePercent: number;
  }[];
  areas: AreaTime[];
}

/** Areas that name no code of our own or of a package (V8 and Node internals, idle). */
function isRuntimeArea(area: string): boolean {
  return area.startsWith('(') || area === 'node built-ins' || area === 'other';
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/**
 * The code area of a frame: a special V8 node, an npm package (node_modules/<pkg>), a Node
 * built-in, or a repository folder such as `packages/db` / `servico-agendamento`.
 */
export function areaOf(frame: { functionName: string; url: string }): string {
  if (SPECIAL.has(frame.functionName) && frame.url === '') return frame.functionName;
  const url = frame.url;
  if (url === '') return '(native/V8)';
  if (url.startsWith('node:')) return 'node built-ins';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    const first = rest[0] ?? '';
    return first.startsWith('@') ? `${first}/${rest[1] ?? ''}` : first;
  }
  const pkg = /\/packages\/([^/]+)\//.exec(url);
  if (pkg?.[1] !== undefined) return `packages/${pkg[1]}`;
  const sys = /\/systems\/[^/]+\/([^/]+)\//.exec(url);
  if (sys?.[1] !== undefined) return sys[1];
  return 'other';
}

function locationOf(frame: { url: string; lineNumber: number }): string {
  const url = frame.url;
  if (url === '') return '';
  const nm = url.lastIndexOf('/node_modules/');
  const short =
    nm >= 0
      ? url.slice(nm + '/node_modules/'.length)
      : url.replace(/^file:\/\/.*?\/(packages|systems)\//, '$1/').replace(/^file:\/\//, '');
  return `${short}:${frame.lineNumber + 1}`;
}

/**
 * Per-sample durations as DevTools computes them: sample i lasts until sample i+1 is taken
 * (timestamp[i] = startTime + Σ timeDeltas[0..i]); the last sample lasts until endTime.
 */
export function sampleTimes(profile: CpuProfile): { at: Float64Array; duration: Float64Array } {
  const n = profile.samples.length;
  const at = new Float64Array(n);
  const duration = new Float64Array(n);
  let t = profile.startTime;
  for (let i = 0; i < n; i++) {
    t += profile.timeDeltas[i] ?? 0;
    at[i] = t;
  }
  for (let i = 0; i < n; i++) {
    const next = i + 1 < n ? (at[i + 1] ?? 0) : Math.max(profile.endTime, at[i] ?? 0);
    duration[i] = Math.max(0, next - (at[i] ?? 0));
  }
  return { at, duration };
}

export function summarizeProfile(
  profile: CpuProfile,
  options: { top?: number; windowUs?: { from: number; to: number } } = {},
): ProfileSummary {
  const byId = new Map<number, CpuProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const { at, duration } = sampleTimes(profile);
  let keep = (i: number) => i >= 0;
  let windowIgnored = false;
  if (options.windowUs !== undefined) {
    const { from, to } = options.windowUs;
    const inWindow = (i: number) => (at[i] ?? 0) >= from && (at[i] ?? 0) <= to;
    let any = false;
    for (let i = 0; i < at.length && !any; i++) any = inWindow(i);
    if (any) keep = inWindow;
    else windowIgnored = true;
  }

  const selfByNode = new Map<number, number>();
  const inclusiveByArea = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  let sampleCount = 0;
  const inclusiveByFunction = new Map<string, number>();
  const stackFunctions = new Map<number, Set<string>>();
  const functionKey = (node: CpuProfileNode) =>
    `${node.callFrame.functionName === '' ? '(anonymous)' : node.callFrame.functionName}\u0000${locationOf(node.callFrame)}\u0000${areaOf(node.callFrame)}`;
  const functionsOnStack = (id: number): Set<string> => {
    const cached = stackFunctions.get(id);
    if (cached !== undefined) return cached;
    const node = byId.get(id);
    const up = parent.get(id);
    const set = new Set(up === undefined ? [] : functionsOnStack(up));
    if (node !== undefined && !isRuntimeArea(areaOf(node.callFrame))) set.add(functionKey(node));
    stackFunctions.set(id, set);
    return set;
  };
  const stackAreas = new Map<number, Set<string>>();
  const areasOnStack = (id: number): Set<string> => {
    const cached = stackAreas.get(id);
    if (cached !== undefined) return cached;
    const node = byId.get(id);
    const up = parent.get(id);
    const set = new Set(up === undefined ? [] : areasOnStack(up));
    if (node !== undefined) set.add(areaOf(node.callFrame));
    stackAreas.set(id, set);
    return set;
  };

  for (let i = 0; i < profile.samples.length; i++) {
    if (!keep(i)) continue;
    const id = profile.samples[i] ?? -1;
    const d = duration[i] ?? 0;
    sampleCount += 1;
    totalUs += d;
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + d);
    const node = byId.get(id);
    if (node?.callFrame.functionName === '(idle)') {
      idleUs += d;
      continue;
    }
    for (const area of areasOnStack(id)) {
      if (area === '(root)') continue;
      inclusiveByArea.set(area, (inclusiveByArea.get(area) ?? 0) + d);
    }
    for (const key of functionsOnStack(id))
      inclusiveByFunction.set(key, (inclusiveByFunction.get(key) ?? 0) + d);
  }

  const percent = (us: number) => (totalUs === 0 ? 0 : (100 * us) / totalUs);
  const byFunction = new Map<string, FunctionTime>();
  const selfByArea = new Map<string, number>();
  for (const [id, us] of selfByNode) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const frame = node.callFrame;
    const area = areaOf(frame);
    selfByArea.set(area, (selfByArea.get(area) ?? 0) + us);
    const location = locationOf(frame);
    const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    const key = `${name}\u0000${location}`;
    const entry = byFunction.get(key) ?? { functionName: name, location, area, selfMs: 0, selfPercent: 0 };
    entry.selfMs += us / 1000;
    byFunction.set(key, entry);
  }
  const topFunctions = [...byFunction.values()]
    .map((f) => ({ ...f, selfPercent: percent(f.selfMs * 1000) }))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, options.top ?? 20);
  const topInclusive = [...inclusiveByFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, options.top ?? 20)
    .map(([key, us]) => {
      const [functionName = '', location = '', area = ''] = key.split('\u0000');
      return { functionName, location, area, inclusiveMs: us / 1000, inclusivePercent: percent(us) };
    });
  const areaNames = new Set([...selfByArea.keys(), ...inclusiveByArea.keys()]);
  const areas = [...areaNames]
    .map((area) => {
      const selfUs = selfByArea.get(area) ?? 0;
      const inclusiveUs = area === '(idle)' ? selfUs : (inclusiveByArea.get(area) ?? 0);
      return {
        area,
        selfMs: selfUs / 1000,
        selfPercent: percent(selfUs),
        inclusiveMs: inclusiveUs / 1000,
        inclusivePercent: percent(inclusiveUs),
      };
    })
    .sort((a, b) => b.selfMs - a.selfMs);
  return {
    totalMs: totalUs / 1000,
    sampleCount,
    busyPercent: totalUs === 0 ? 0 : 100 - percent(idleUs),
    windowIgnored,
    topFunctions,
    topInclusive,
    areas,
  };
}
