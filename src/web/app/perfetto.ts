// Open in Perfetto: ui.perfetto.dev's documented postMessage protocol
// (perfetto.dev/docs/visualization/deep-linking-to-perfetto-ui). The window
// is opened in the click itself (pop-up blockers allow only that), 'PING' is
// posted every 50 ms until the UI answers 'PONG', then the trace goes over as
// {perfetto: {buffer, title, fileName}}. The trace travels from this tab to
// that tab only; nothing goes over the network.

/** The Perfetto UI's origin: the page's <meta name="perfetto-origin">, set by `trace-convert ui --perfetto-origin`. */
export function perfettoOrigin(): string {
  const m = document.querySelector<HTMLMetaElement>('meta[name="perfetto-origin"]');
  const v = m?.content.trim() || "https://ui.perfetto.dev";
  try {
    return new URL(v).origin;
  } catch {
    return "https://ui.perfetto.dev";
  }
}

export interface Handoff {
  /** Hands the trace over once the UI is ready; resolves when it was posted. */
  send(buffer: ArrayBuffer, title: string, fileName: string): Promise<void>;
  /** Stops waiting (the conversion failed or was cancelled); closes the window. */
  abort(): void;
}

const PING_MS = 50;
/** How long to wait for the PONG once the trace is ready. */
const READY_TIMEOUT_MS = 60_000;

/**
 * Opens the Perfetto UI in a new window and starts the handshake. Call from a
 * click handler, before any await. Returns null when the browser blocked the window.
 */
export function openPerfetto(origin: string): Handoff | null {
  const win = window.open(`${origin}/#!/`, "_blank");
  if (win === null) return null;
  let ready = false;
  let onReady: (() => void) | null = null;
  const timer = window.setInterval(() => {
    if (win.closed) return;
    win.postMessage("PING", origin);
  }, PING_MS);
  const onMessage = (e: MessageEvent) => {
    if (e.source !== win || e.origin !== origin || e.data !== "PONG") return;
    ready = true;
    window.clearInterval(timer);
    window.removeEventListener("message", onMessage);
    onReady?.();
  };
  window.addEventListener("message", onMessage);
  const stop = () => {
    window.clearInterval(timer);
    window.removeEventListener("message", onMessage);
  };
  return {
    send(buffer, title, fileName) {
      return new Promise<void>((resolve, reject) => {
        const post = () => {
          if (win.closed) return reject(new Error("the Perfetto window was closed before the trace was sent"));
          win.postMessage({ perfetto: { buffer, title, fileName } }, origin, [buffer]);
          resolve();
        };
        if (ready) return post();
        const t = window.setTimeout(() => {
          stop();
          reject(new Error(`${origin} did not answer within ${READY_TIMEOUT_MS / 1000} s (no PONG to our PING): is it reachable from this browser?`));
        }, READY_TIMEOUT_MS);
        onReady = () => {
          window.clearTimeout(t);
          post();
        };
      });
    },
    abort() {
      stop();
      if (!win.closed) win.close();
    },
  };
}
