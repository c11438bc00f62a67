// Fault injection for the test API server: what to do instead of (or before) serving a request.

/** One injected fault; it applies to requests matching `method` and `path`, `times` times (or until cleared). */
export interface KubeFault {
  /**
   * `status`: answer with a metav1.Status of that code; `drop`: destroy the socket; `hang`: never
   * answer; `trickle`: serve the request, but send the answer's body `bytesPerChunk` bytes every
   * `intervalMs` (a slow link or an overloaded server: the answer is right, it just takes long).
   */
  action: 'status' | 'drop' | 'hang' | 'trickle';
  /** HTTP status for `status` (default 500). */
  status?: number;
  /** Retry-After header and status.details.retryAfterSeconds (429 and 503 carry it on real servers). */
  retryAfterSeconds?: number;
  message?: string;
  /** Only requests with this method (GET, PATCH, …). */
  method?: string;
  /** Only requests whose path (without query) matches. */
  path?: RegExp;
  /** `trickle`: bytes per chunk (default 16). */
  bytesPerChunk?: number;
  /** `trickle`: milliseconds between chunks (default 50). */
  intervalMs?: number;
  /** Only the next N matching requests; unlimited when omitted. */
  times?: number;
}

/** The ordered fault rules of one server. */
export class FaultList {
  private faults: KubeFault[] = [];

  /** Adds a rule; earlier rules win. */
  add(fault: KubeFault): void {
    this.faults.push({ ...fault });
  }

  /** Removes every rule. */
  clear(): void {
    this.faults = [];
  }

  /** The rule that applies to a request (counting down its `times`), or undefined. */
  take(method: string, path: string): KubeFault | undefined {
    const index = this.faults.findIndex(
      (f) => (f.method === undefined || f.method.toUpperCase() === method) && (f.path === undefined || f.path.test(path)),
    );
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    if (fault.times !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) this.faults.splice(index, 1);
    }
    return fault;
  }
}
