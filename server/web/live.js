/* answerdesk agent console, live: the server's event stream and what gets an agent's attention.
   Plain JS, no dependencies, no build step. Loaded before agent.js, which calls
   window.answerdeskLive({ key, onEvent, onState, onDenied }) and window.answerdeskAlerts(...).
   onState(state, lastId) tells "live", "reconnecting" or "off"; "live" with no last id is a
   fresh stream (it starts at the latest event), so the caller reloads what it shows once.

   The stream is GET /v1/agent/events (server-sent events). It is read with fetch and a body
   reader, not EventSource, because EventSource cannot send the X-API-Key header (and a key in
   the URL would land in access logs). A dropped stream is opened again with Last-Event-ID, so
   the server replays what happened meanwhile and nothing is missed (a stream that saw no event
   yet has no id to send: it starts afresh and the caller reloads). The console polls only
   while the stream is down. */
(() => {
  "use strict";
  const STREAM = "/v1/agent/events";
  const MAX_DELAY_MS = 30000;
  // The server writes a comment every 15 s: this long without a byte, the connection is dead
  // even if no error was raised (a laptop that slept, a proxy that dropped it silently).
  const STALL_MS = 45000;

  window.answerdeskLive = ({ key, onEvent, onState, onDenied }) => {
    let controller = null; // aborts the current connection
    let running = false;
    let lastId = ""; // the last event id seen: where a reconnection resumes
    let retryMs = 2000; // the server's `retry:` hint, the first delay after a drop
    let failures = 0;
    let again = null; // the pending reconnection
    let stall = null;
    let state = "off";

    function setState(next) {
      if (next === state) return;
      state = next;
      onState(next, lastId);
    }

    function start() {
      if (running) return;
      running = true;
      connect();
    }

    function stop() {
      running = false;
      clearTimeout(again);
      clearTimeout(stall);
      if (controller) controller.abort();
      controller = null;
      lastId = "";
      setState("off");
    }

    function dropped() {
      clearTimeout(stall);
      if (!running) return;
      setState("reconnecting");
      // Doubling, capped, with jitter: a restarted server is not hit by every console at once.
      const delay = Math.min(MAX_DELAY_MS, retryMs * 2 ** failures) * (0.8 + Math.random() * 0.4);
      failures += 1;
      clearTimeout(again);
      again = setTimeout(connect, delay);
    }

    async function connect() {
      const mine = new AbortController();
      controller = mine;
      const headers = { "X-API-Key": key(), Accept: "text/event-stream" };
      if (lastId) headers["Last-Event-ID"] = lastId;
      try {
        const res = await fetch(STREAM, { headers, cache: "no-store", signal: mine.signal });
        if (res.status === 401 || res.status === 403) {
          running = false;
          setState("off");
          onDenied(res.status);
          return;
        }
        if (!res.ok || !res.body) throw new Error(`the event stream answered ${res.status}`);
        await read(res.body.getReader(), mine);
      } catch {
        /* dropped, refused or aborted: decided below */
      }
      if (controller === mine) dropped();
    }

    async function read(reader, mine) {
      const decoder = new TextDecoder();
      let buffer = "";
      let frame = { id: "", type: "message", data: [] };
      const watch = () => {
        clearTimeout(stall);
        stall = setTimeout(() => mine.abort(), STALL_MS);
      };
      watch();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        watch();
        if (state !== "live") {
          // Live only once bytes flow: a proxy that buffers the stream never looks live.
          failures = 0;
          setState("live");
        }
        buffer += decoder.decode(value, { stream: true });
        // An unfinished line waits for the next chunk, and so does a last "\r" (half a "\r\n"?).
        const cut = buffer.endsWith("\r") ? buffer.length - 1 : buffer.length;
        const lines = buffer.slice(0, cut).split(/\r\n|\r|\n/);
        buffer = lines.pop() + buffer.slice(cut);
        for (const line of lines) frame = parseLine(line, frame);
      }
    }

    /** One line of the text/event-stream format; a blank line dispatches the frame. */
    function parseLine(line, frame) {
      if (line === "") {
        if (frame.data.length) dispatch(frame);
        return { id: "", type: "message", data: [] };
      }
      if (line.startsWith(":")) return frame; // a comment: the server's "still here"
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "id") frame.id = value;
      else if (field === "event") frame.type = value;
      else if (field === "data") frame.data.push(value);
      else if (field === "retry" && /^\d+$/.test(value)) retryMs = Math.max(500, Number(value));
      return frame;
    }

    function dispatch(frame) {
      if (frame.id) lastId = frame.id;
      if (frame.type === "ready") return; // where the stream starts: resume from there
      let body;
      try {
        body = JSON.parse(frame.data.join("\n"));
      } catch {
        return; // not ours to read
      }
      onEvent({ id: frame.id, type: frame.type, data: (body && body.data) || {} });
    }

    return { start, stop, isLive: () => state === "live" };
  };

  // ------------------------------------------------------------------ attention

  const SOUND_STORE = "answerdesk:agent-sound";
  const NOTIFY_STORE = "answerdesk:agent-notify";

  /** The title badge, the beep and the desktop notification for what needs an agent; `sound`
   * and `notify` are the checkboxes that switch the last two on (off until the agent asks). */
  window.answerdeskAlerts = ({ sound, notify, note, onOpen }) => {
    const base = document.title;
    let unseen = 0;
    let audio = null;

    const prefs = {
      sound: localStorage.getItem(SOUND_STORE) === "1",
      notify: localStorage.getItem(NOTIFY_STORE) === "1" && canNotify() && Notification.permission === "granted",
    };

    function canNotify() {
      return "Notification" in window;
    }

    sound.checked = prefs.sound;
    sound.addEventListener("change", () => {
      prefs.sound = sound.checked;
      localStorage.setItem(SOUND_STORE, prefs.sound ? "1" : "0");
      if (prefs.sound) beep(); // a sample, and browsers let audio start only after a click like this
    });

    notify.checked = prefs.notify;
    notify.disabled = !canNotify();
    notify.addEventListener("change", async () => {
      const wanted = notify.checked;
      let granted = wanted && canNotify() && Notification.permission === "granted";
      if (wanted && canNotify() && Notification.permission === "default") {
        granted = (await Notification.requestPermission()) === "granted"; // asked once, on this click
      }
      prefs.notify = granted;
      notify.checked = granted;
      localStorage.setItem(NOTIFY_STORE, granted ? "1" : "0");
      note(wanted && !granted ? "This browser blocks notifications from this site: allow them in its site settings, then switch them on again." : "");
    });

    /** A short two-tone beep made by the Web Audio API: no sound file to serve. */
    function beep() {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      try {
        audio = audio || new Context();
        if (audio.state === "suspended") audio.resume();
        const now = audio.currentTime;
        const gain = audio.createGain();
        gain.connect(audio.destination);
        gain.gain.setValueAtTime(0.0001, now);
        gain.gain.exponentialRampToValueAtTime(0.15, now + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.3);
        const tone = audio.createOscillator();
        tone.type = "sine";
        tone.frequency.setValueAtTime(880, now);
        tone.frequency.setValueAtTime(660, now + 0.12);
        tone.connect(gain);
        tone.start(now);
        tone.stop(now + 0.32);
      } catch {
        /* no audio device: the badge and the notification still tell */
      }
    }

    function hidden() {
      return document.visibilityState === "hidden";
    }

    function showBadge() {
      document.title = unseen ? `(${unseen}) ${base}` : base;
    }

    /** Something for this agent: counted while the tab is hidden, beeped, notified. */
    function notice({ title, body, caseId }) {
      if (hidden()) {
        unseen += 1;
        showBadge();
      }
      if (prefs.sound) beep();
      if (prefs.notify && canNotify() && Notification.permission === "granted" && (hidden() || !document.hasFocus())) {
        try {
          const shown = new Notification(title, { body, tag: `answerdesk-case-${caseId}` });
          shown.onclick = () => {
            window.focus();
            onOpen(caseId);
            shown.close();
          };
        } catch {
          /* a browser that only notifies from a service worker: the badge still counts */
        }
      }
    }

    function clear() {
      unseen = 0;
      showBadge();
    }

    document.addEventListener("visibilitychange", () => {
      if (!hidden()) clear();
    });

    return { notice, clear };
  };
})();
