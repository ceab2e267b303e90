// The channel owner's check that the guest still answers on a connection it
// holds. The guest side can give up on a host connection without the host
// seeing it (its server ended the connection, a port write failed): the
// socket to QEMU stays open, the guest drops what arrives, and every call
// and stream on it would wait for ever. A ping that goes unanswered for
// `timeoutMs` of wall time while the VM is not paused ends the connection,
// so the owner connects again (a new hello: the guest starts afresh) and
// callers get an error or carry on another way, never a hang. Only a
// connection that has answered a ping before is judged (an older guest agent
// may not answer the data plane's PING at all).

/** How the owner's connections check the guest: is it paused on purpose (a paused VM answers nothing: its time does not count), and (tests) how often and how long to wait. */
export interface LivenessCheck {
  paused?: () => boolean;
  timing?: { everyMs: number; timeoutMs: number };
}

export interface LivenessOptions extends LivenessCheck {
  /** Send one ping; call `answered` when its answer arrives. */
  ping: (answered: () => void) => void;
  /** No answer in time: end the connection (why says so). */
  dead: (why: string) => void;
  /** Whether anything waits on the connection: an idle one is not pinged (an idle guest is not woken). */
  busy?: () => boolean;
}

/** Long enough for a guest under TCG that is busy with other calls (tens of seconds were measured with 40 execs at once). */
const TIMEOUT_MS = 60_000;
const EVERY_MS = 5_000;

export class Liveness {
  private timer: NodeJS.Timeout | null = null;
  /** When the unanswered ping went out (0: none outstanding). */
  private waitingSince = 0;
  private seq = 0;
  private everAnswered = false;

  constructor(private readonly o: LivenessOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.o.timing?.everyMs ?? EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.seq += 1;
  }

  private tick(): void {
    const now = Date.now();
    if (this.o.paused?.()) {
      // The clock starts again on resume: a guest cannot answer while it does not run.
      if (this.waitingSince) this.waitingSince = now;
      return;
    }
    if (this.o.busy && !this.o.busy() && !this.waitingSince && this.everAnswered) {
      // Nothing waits on it and no ping is out: no ping to wake an idle guest. Until the guest has
      // answered once, one ping goes out even so (it just answered the hello: it is awake), so the
      // connection can be judged later: pinged only on busy ticks, a connection carrying short calls
      // that came and went between ticks was never known to answer, and a silent guest was never judged.
      // A ping already out is still judged when idle: an idle tick once reset its clock.
      return;
    }
    if (this.waitingSince) {
      // A connection that never answered may be to a guest that does not know the ping (an older agent): no verdict.
      if (!this.everAnswered) return;
      const waited = now - this.waitingSince;
      const limit = this.o.timing?.timeoutMs ?? TIMEOUT_MS;
      if (waited >= limit) {
        this.stop();
        this.o.dead(`the guest did not answer a ping for ${Math.round(waited / 1000)} s`);
      }
      return;
    }
    this.waitingSince = now;
    const mine = ++this.seq;
    this.o.ping(() => {
      // Any answer shows the guest knows the ping (a stopped check's late answer too).
      this.everAnswered = true;
      if (mine === this.seq) this.waitingSince = 0;
    });
  }
}
