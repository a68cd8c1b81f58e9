/* answerdesk chat widget: one script tag, no dependencies, no build step.

     <script src="https://support.example.com/widget.js" data-answerdesk async
             data-customer-id="u-42" data-customer-email="ana@example.com" data-plan="pro"
             data-role="admin" data-product-area="banking"
             data-signature="HMAC-SHA256 hex of id, email, plan, role (see the README)"></script>

   The API origin is the script's own origin, so the tag works on any site. The widget lives in
   a shadow root (the host page's CSS cannot break it, ours cannot leak out). Server text is
   only ever set with textContent / text nodes: never innerHTML. Answers and agent replies
   arrive as Markdown rendered to safe HTML by the server; that HTML is parsed in an inert
   document and rebuilt element by element from a short allow-list (renderMarkdown).

   Email follow-up: once a person has the case, a customer the site did not name is offered to
   get the reply by email. Our emails link back to the page with `?answerdesk_resume=<signed
   link>`: the widget then opens on that conversation, on this device too (resumeFromLink). */
(() => {
  "use strict";
  if (window.__answerdesk) return;
  const script =
    document.currentScript || document.querySelector('script[data-answerdesk][src*="widget.js"]');
  if (!script) return;
  window.__answerdesk = { version: 1 };

  const API = new URL(script.src, location.href).origin;
  const options = script.dataset;
  const STORE_KEY = `answerdesk:${API}:conversation`;
  const EMAILED_KEY = `answerdesk:${API}:emailed`; // conversations that have an email address
  const RESUME_PARAM = "answerdesk_resume";
  const POLL_MS = Math.max(1000, Number(options.pollMs) || 4000);
  const STATUS_MS = 60_000; // the incident banner is checked again this often while open
  const UNSURE_BELOW = 0.5;
  const SVG = "http://www.w3.org/2000/svg";

  // ---------------------------------------------------------------- small helpers

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) el.append(child);
    }
    return el;
  }

  function icon(paths, size = 20) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", size);
    svg.setAttribute("height", size);
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    for (const d of paths) {
      const path = document.createElementNS(SVG, "path");
      path.setAttribute("d", d);
      svg.append(path);
    }
    return svg;
  }
  const ICONS = {
    chat: ["M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"],
    close: ["M6 6l12 12M18 6L6 18"],
    send: ["M3 20l18-8L3 4v6l12 2-12 2z"],
    up: ["M7 22H4V11h3zM7 11l4-9a3 3 0 0 1 3 3v4h5.5a2 2 0 0 1 2 2.3l-1.3 8A2 2 0 0 1 18.2 22H7"],
    down: ["M17 2h3v11h-3zM17 13l-4 9a3 3 0 0 1-3-3v-4H4.5a2 2 0 0 1-2-2.3l1.3-8A2 2 0 0 1 5.8 2H17"],
    person: ["M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0"],
    alert: ["M12 3l10 18H2zM12 10v5M12 18v.01"],
  };

  function safeUrl(url) {
    if (!url) return null;
    try {
      const parsed = new URL(url, API);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch {
      return null;
    }
  }

  function load() {
    try {
      return JSON.parse(sessionStorage.getItem(STORE_KEY)) || null;
    } catch {
      return null;
    }
  }
  function save() {
    try {
      if (conv) sessionStorage.setItem(STORE_KEY, JSON.stringify(conv));
      else sessionStorage.removeItem(STORE_KEY);
    } catch {
      /* storage disabled: the thread simply does not survive a reload */
    }
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, code, message, retryAfter) {
      super(message);
      this.status = status;
      this.code = code;
      this.retryAfter = retryAfter;
    }
  }

  async function toError(res) {
    let code = `http_${res.status}`;
    let message = `The support service answered with an error (${res.status}).`;
    try {
      const body = await res.json();
      if (body && body.error) {
        code = body.error.code || code;
        message = body.error.message || message;
      }
    } catch {
      /* not JSON: keep the generic message */
    }
    return new ApiError(res.status, code, message, res.headers.get("Retry-After"));
  }

  function headers(extra, bearer = true) {
    const all = { ...extra };
    if (bearer && conv && conv.token) all.Authorization = `Bearer ${conv.token}`;
    return all;
  }

  async function api(path, { method = "GET", body, key, bearer = true } = {}) {
    const init = { method, headers: headers({ Accept: "application/json" }, bearer) };
    if (key) init.headers["Idempotency-Key"] = key;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(API + path, init);
    if (!res.ok) throw await toError(res);
    return res.status === 204 ? null : res.json();
  }

  async function* readEvents(body) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        const data = [];
        for (const line of frame.split("\n")) {
          if (!line || line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          let value = colon < 0 ? "" : line.slice(colon + 1);
          if (value.startsWith(" ")) value = value.slice(1);
          if (field === "event") event = value;
          else if (field === "data") data.push(value);
        }
        if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
      }
    }
  }

  /** A fresh key per message (the server keeps a message sent twice under one key once). */
  function messageKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const part = () => Math.random().toString(36).slice(2);
    return `${Date.now().toString(36)}-${part()}${part()}`;
  }

  /** POST a message, streaming the answer into `bubble`; plain JSON when streaming fails.
   * Both attempts carry the message's `key`: a retry never stores the message twice. */
  async function postMessage(text, bubble, key) {
    const path = `/v1/conversations/${encodeURIComponent(conv.id)}/messages`;
    let res;
    try {
      res = await fetch(API + path, {
        method: "POST",
        headers: headers({
          "Content-Type": "application/json",
          Accept: "text/event-stream",
          "Idempotency-Key": key,
        }),
        body: JSON.stringify({ text }),
      });
    } catch {
      return api(path, { method: "POST", body: { text }, key });
    }
    if (!res.ok) throw await toError(res);
    const type = res.headers.get("Content-Type") || "";
    if (!type.includes("text/event-stream") || !res.body) return res.json();
    let reply = null;
    let streamed = "";
    try {
      for await (const { event, data } of readEvents(res.body)) {
        if (event === "sentence") {
          // One checked sentence, shown as soon as it is written; the reply replaces them all.
          const sentence = data.text || "";
          const step = /^(?:(?:[-*+]|\d+[.)])\s|\|)/.test(sentence); // a list item, a table row
          streamed += (streamed ? (step ? "\n" : " ") : "") + sentence;
          bubble.stream(streamed);
        } else if (event === "retract") {
          streamed = ""; // the turn did not answer after all: its sentences are taken back
          bubble.stream("");
        } else if (event === "reply") {
          reply = data;
        } else if (event === "error") {
          const error = (data && data.error) || {};
          throw new ApiError(500, error.code || "error", error.message || "Something went wrong.");
        }
      }
    } catch (error) {
      if (error instanceof ApiError) throw error;
      /* the stream broke: recover the stored reply below */
    }
    return reply || recoverReply();
  }

  /** The stream ended without its reply: read what the server stored instead. */
  async function recoverReply() {
    const view = await api(`/v1/conversations/${encodeURIComponent(conv.id)}`);
    const last = view.messages[view.messages.length - 1];
    if (!last || last.speaker !== "assistant") {
      return { action: view.handoff ? "agent" : "answer", answer: null, citations: [] };
    }
    for (const message of view.messages) seen.add(message.id);
    const action = ["clarify", "handoff", "waiting"].includes(last.kind) ? last.kind : "answer";
    return {
      message_id: last.id,
      action,
      answer: last.text,
      citations: last.citations || [],
      related: [],
      confidence: last.confidence,
      handoff: view.handoff,
    };
  }

  // ---------------------------------------------------------------- state

  let conv = load(); // {id, token, handedOff, resolved, csat, csatAsked}
  const seen = new Set(); // message ids already in the thread
  let busy = false;
  let pollTimer = null;
  let statusTimer = null;
  let unread = 0;
  let statusCard = null;
  let closePrompted = false;
  let threadShown = false;
  let turns = 0;
  let unsent = null; // {text, key} of a message whose send failed: sent again under its key

  // ---------------------------------------------------------------- DOM

  const host = h("div", { id: "answerdesk-widget" });
  const root = host.attachShadow({ mode: "open" });
  // A constructed stylesheet, not a <style> element: a host page whose Content-Security-Policy
  // forbids inline styles (as ours does) still shows the widget styled.
  if ("adoptedStyleSheets" in root && typeof CSSStyleSheet.prototype.replaceSync === "function") {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS());
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(h("style", { text: CSS() }));
  }

  const badge = h("span", { class: "badge", hidden: true, "aria-hidden": "true" });
  const launcher = h(
    "button",
    {
      type: "button",
      class: "launcher",
      "aria-label": "Open support chat",
      "aria-expanded": "false",
      "aria-controls": "ad-panel",
    },
    icon(ICONS.chat, 26),
    badge,
  );
  const setLauncherIcon = (name) => launcher.firstChild.replaceWith(icon(ICONS[name], 26));
  const notice = h("div", { class: "notice", role: "alert", hidden: true });
  // Always in the page (empty when all is well), so a banner that appears is announced.
  const incidentBar = h("div", { class: "incidents", role: "status", "aria-live": "polite" });
  const log = h("div", {
    class: "log",
    role: "log",
    "aria-live": "polite",
    "aria-label": "Conversation",
    tabindex: "0",
  });
  const input = h("textarea", {
    class: "input",
    rows: "1",
    placeholder: "Ask a question…",
    "aria-label": "Your message",
    "aria-describedby": "ad-hint",
    maxlength: "2000",
  });
  const sendButton = h(
    "button",
    { type: "submit", class: "send", "aria-label": "Send message" },
    icon(ICONS.send),
  );
  const form = h(
    "form",
    { class: "composer", onsubmit: onSubmit },
    input,
    sendButton,
    h("p", {
      id: "ad-hint",
      class: "hint",
      text: "Enter sends · Shift+Enter adds a line",
    }),
  );
  const closeButton = h(
    "button",
    { type: "button", class: "icon-button", "aria-label": "Close chat", onclick: requestClose },
    icon(ICONS.close),
  );
  const panel = h(
    "section",
    {
      id: "ad-panel",
      class: "panel",
      role: "dialog",
      "aria-modal": "false",
      "aria-labelledby": "ad-title",
      hidden: true,
    },
    h(
      "header",
      { class: "head" },
      h(
        "div",
        {},
        h("h2", { id: "ad-title", text: options.title || "Support" }),
        h("p", { class: "sub", text: "AI assistant · answers link to our help articles" }),
      ),
      closeButton,
    ),
    incidentBar,
    log,
    notice,
    form,
  );
  root.append(panel, launcher);

  launcher.addEventListener("click", () => (panel.hidden ? openPanel() : requestClose()));
  const fullScreen = window.matchMedia("(max-width: 480px)");
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      requestClose();
    } else if (event.key === "Tab" && fullScreen.matches) {
      // Full screen, the page behind is covered: keep Tab inside the panel.
      const focusable = [...panel.querySelectorAll("button:not(:disabled), a[href], input, textarea, [tabindex='0']")];
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      if (event.shiftKey && root.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && root.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    }
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener("input", autosize);

  function autosize() {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 140)}px`;
  }

  function openPanel() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", "Close support chat");
    panel.classList.add("is-open");
    setLauncherIcon("close");
    setUnread(0);
    if (!threadShown) {
      threadShown = true;
      greet();
    }
    scrollDown();
    input.focus();
    checkStatus();
    clearInterval(statusTimer);
    statusTimer = setInterval(checkStatus, STATUS_MS);
  }

  function closePanel() {
    clearInterval(statusTimer);
    statusTimer = null;
    panel.hidden = true;
    panel.classList.remove("is-open");
    setLauncherIcon("chat");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", "Open support chat");
    launcher.focus();
  }

  /** Closing asks once for a rating when there was a real exchange and none was given — never
   * while the customer still waits for a person (they rate once the case is resolved). */
  function requestClose() {
    const waiting = conv && conv.handedOff && !conv.resolved;
    if (!closePrompted && conv && conv.answered && !waiting && !conv.csat && !conv.csatAsked) {
      closePrompted = true;
      showCsat("Before you go: how would you rate this conversation?", { closeAfter: true });
      return;
    }
    closePanel();
  }

  function setUnread(count) {
    unread = count;
    badge.hidden = count === 0;
    badge.textContent = String(count);
    const base = panel.hidden ? "Open support chat" : "Close support chat";
    const extra = count ? `, ${count} new message${count > 1 ? "s" : ""}` : "";
    launcher.setAttribute("aria-label", base + extra);
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function greet() {
    addBubble(
      "assistant",
      "Hi! Ask me anything about using the product. I answer from our help center and link the articles I used. If I can't help, I'll bring in a person.",
    );
  }

  function showNotice(text) {
    notice.textContent = text;
    notice.hidden = false;
  }
  function clearNotice() {
    notice.hidden = true;
    notice.textContent = "";
  }

  function describeError(error) {
    if (error instanceof ApiError) {
      if (error.status === 429) {
        const seconds = Number(error.retryAfter);
        const wait = seconds > 0 ? `${Math.ceil(seconds)} second${seconds > 1 ? "s" : ""}` : "a moment";
        return `You're sending messages faster than we can answer. Please wait ${wait} and try again.`;
      }
      if (error.status >= 500) return `${error.message} Please try again in a moment.`;
      return error.message;
    }
    return "We couldn't reach the support service. Check your connection and try again.";
  }

  // ---------------------------------------------------------------- incident banner

  // The public status (GET /v1/status), asked on open and every minute while open. A failed
  // check shows no banner and never gets in the way of the chat.
  let checks = 0;
  let checking = false;
  let shownIncidents = "";
  async function checkStatus() {
    if (checking || document.hidden) return;
    checking = true;
    let incidents = [];
    try {
      const res = await fetch(`${API}/v1/status`, { headers: { Accept: "application/json" } });
      const body = res.ok ? await res.json() : null;
      if (body && Array.isArray(body.incidents)) incidents = body.incidents;
      if (body && body.email_follow_up === true && !emailFollowUp) {
        emailFollowUp = true; // the desk sends email: the offer can promise it
        if (statusCard) offerEmail(statusCard.dataset.status);
      }
    } catch {
      /* no status: no banner */
    }
    try {
      showIncidents(incidents);
    } catch {
      showIncidents([]); // an answer of an unexpected shape
    }
    checking = false;
    checks += 1;
    incidentBar.dataset.checks = String(checks); // lets tests and hosts wait on a check
  }

  function shortTime(iso) {
    const date = new Date(iso);
    if (!iso || Number.isNaN(date.getTime())) return "";
    const today = date.toDateString() === new Date().toDateString();
    const clock = { hour: "2-digit", minute: "2-digit" };
    return date.toLocaleString([], today ? clock : { day: "numeric", month: "short", ...clock });
  }

  function showIncidents(incidents) {
    const [newest] = incidents;
    const latest = newest && Array.isArray(newest.updates) ? newest.updates[0] : null;
    // Drawn again only when something changed: the live region announces each change once.
    const state = newest ? JSON.stringify([incidents.length, newest.id, newest.status, newest.updated_at]) : "";
    if (state === shownIncidents) return;
    shownIncidents = state;
    if (!newest) {
      incidentBar.replaceChildren();
      return;
    }
    const status = String(newest.status || "");
    const more = incidents.length - 1;
    const when = latest ? shortTime(latest.created_at) : "";
    incidentBar.replaceChildren(
      h(
        "div",
        { class: "incident", "data-incident": newest.id },
        h("span", { class: "incident-icon" }, icon(ICONS.alert, 18)),
        h(
          "div",
          { class: "incident-body" },
          h(
            "p",
            { class: "incident-title" },
            h("strong", { text: `${status.charAt(0).toUpperCase()}${status.slice(1)}: ` }),
            String(newest.title || ""),
            more > 0 ? h("span", { class: "more", text: ` and ${more} more` }) : null,
          ),
          latest ? h("p", { class: "incident-update", text: String(latest.message || "") }) : null,
          h(
            "p",
            { class: "incident-meta" },
            when ? `Updated ${when} · ` : "",
            h("a", { href: `${API}/status`, target: "_blank", rel: "noopener noreferrer", text: "Status page" }),
            h("span", { class: "sr-only", text: " (opens in a new tab)" }),
          ),
        ),
      ),
    );
  }

  // ---------------------------------------------------------------- thread rendering

  function label(speaker, author) {
    if (speaker === "customer") return "You";
    if (speaker === "agent") return author ? `${author} · Support team` : "Support team";
    return "Assistant";
  }

  function addBubble(speaker, text, { author, extra, html } = {}) {
    const body = h("div", { class: "text" });
    const item = h(
      "div",
      { class: `msg ${speaker}` },
      h("span", { class: "who", text: label(speaker, author) }),
      body,
    );
    if (html) renderMarkdown(body, html, []);
    else if (text) renderText(body, text, []);
    if (extra) item.append(extra);
    log.append(item);
    scrollDown();
    return { item, body };
  }

  /** Text with [n] markers turned into links to the cited article. */
  function renderText(container, text, citations) {
    container.textContent = "";
    container.classList.remove("md");
    appendCited(container, String(text), new Map(citations.map((c) => [String(c.n), c])));
  }

  /** A message as the server rendered its Markdown (`html`), or its plain text without it. */
  function renderMessage(container, html, text, citations) {
    if (html) renderMarkdown(container, html, citations);
    else renderText(container, text, citations);
  }

  // The server renders Markdown to safe HTML; it is checked again here against this allow-list
  // and rebuilt with createElement (never innerHTML): other elements give their text only,
  // these give nothing, and no attribute is copied but a checked link's href and a list's start.
  const MARKUP = new Set(["P", "BR", "STRONG", "EM", "CODE", "PRE", "BLOCKQUOTE", "UL", "OL", "LI",
    "TABLE", "THEAD", "TBODY", "TR", "TH", "TD", "A", "HR", "DEL", "S"]);
  const DROPPED = new Set(["SCRIPT", "STYLE", "TEMPLATE", "IFRAME", "OBJECT", "EMBED", "SVG", "MATH",
    "NOSCRIPT", "TITLE", "TEXTAREA", "SELECT", "BUTTON", "INPUT", "FORM"]);

  function renderMarkdown(container, html, citations) {
    container.textContent = "";
    container.classList.add("md");
    // A parsed document is inert: its scripts never run and its images never load.
    const parsed = new DOMParser().parseFromString(String(html), "text/html");
    copySafe(parsed.body, container, new Map(citations.map((c) => [String(c.n), c])), false);
  }

  function copySafe(from, into, byNumber, inLink) {
    for (const node of from.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        if (inLink) into.append(node.data);
        else appendCited(into, node.data, byNumber);
        continue;
      }
      if (node.nodeType !== Node.ELEMENT_NODE || DROPPED.has(node.tagName)) continue;
      const tag = node.tagName;
      const href = tag === "A" && !inLink ? safeLink(node.getAttribute("href")) : null;
      if (!MARKUP.has(tag) || (tag === "A" && !href)) {
        copySafe(node, into, byNumber, inLink); // its text, without the element
        continue;
      }
      const start = tag === "OL" ? node.getAttribute("start") : null;
      const el =
        tag === "A"
          ? h("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" })
          : h(tag.toLowerCase(), { start: start && /^\d{1,6}$/.test(start) ? start : null });
      copySafe(node, el, byNumber, inLink || tag === "A");
      into.append(tag === "TABLE" ? h("div", { class: "table" }, el) : el);
    }
  }

  /** An absolute http(s) or mailto URL, or null. */
  function safeLink(url) {
    if (!url) return null;
    try {
      const parsed = new URL(url);
      return ["http:", "https:", "mailto:"].includes(parsed.protocol) ? parsed.href : null;
    } catch {
      return null;
    }
  }

  /** `text` into `container`, its [n] markers as links to the cited sources. */
  function appendCited(container, text, byNumber) {
    const parts = text.split(/(\[\d+\])/);
    for (const part of parts) {
      const match = /^\[(\d+)\]$/.exec(part);
      const citation = match && byNumber.get(match[1]);
      const url = citation && safeUrl(citation.url);
      if (url) {
        container.append(
          h("a", {
            class: "cite",
            href: url,
            target: "_blank",
            rel: "noopener noreferrer",
            title: citation.title,
            "aria-label": `Source ${citation.n}: ${citation.title} (opens in a new tab)`,
            text: `[${citation.n}]`,
          }),
        );
      } else if (part) {
        container.append(part);
      }
    }
  }

  function articleLinks(items, className) {
    return h(
      "ol",
      { class: className },
      items.map((c) => {
        const url = safeUrl(c.url);
        const title = c.title || c.document_id || "Article";
        const content = url
          ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: title })
          : h("span", { text: title });
        if (url) content.append(h("span", { class: "sr-only", text: " (opens in a new tab)" }));
        return h("li", { value: c.n || null }, content);
      }),
    );
  }

  function feedbackBar(messageId) {
    const status = h("span", { class: "thanks", role: "status" });
    const make = (helpful) =>
      h(
        "button",
        {
          type: "button",
          class: "thumb",
          "aria-label": helpful ? "This answer helped" : "This answer did not help",
          "aria-pressed": "false",
          onclick: async (event) => {
            const button = event.currentTarget;
            for (const b of bar.querySelectorAll("button")) b.disabled = true;
            button.setAttribute("aria-pressed", "true");
            try {
              await api(`/v1/conversations/${encodeURIComponent(conv.id)}/feedback`, {
                method: "POST",
                body: { helpful, message_id: messageId },
              });
              status.textContent = helpful
                ? "Thanks for letting us know."
                : "Thanks. Tell me what is still wrong, or ask for a person.";
            } catch (error) {
              for (const b of bar.querySelectorAll("button")) b.disabled = false;
              button.setAttribute("aria-pressed", "false");
              showNotice(describeError(error));
            }
          },
        },
        icon(helpful ? ICONS.up : ICONS.down, 16),
      );
    const bar = h(
      "div",
      { class: "feedback", role: "group", "aria-label": "Was this answer helpful?" },
      h("span", { class: "ask", text: "Helpful?" }),
      make(true),
      make(false),
      status,
    );
    return bar;
  }

  /** A pending assistant bubble: typing dots, then streamed text, then the final reply. */
  function pendingBubble() {
    const dots = h("span", { class: "dots", "aria-label": "The assistant is typing" }, h("i"), h("i"), h("i"));
    const { item, body } = addBubble("assistant", "");
    body.append(dots);
    log.setAttribute("aria-busy", "true");
    return {
      item,
      body,
      stream(text) {
        body.textContent = text;
        scrollDown();
      },
      done() {
        log.removeAttribute("aria-busy");
      },
      remove() {
        item.remove();
        log.removeAttribute("aria-busy");
      },
    };
  }

  function isUnsure(reply) {
    const related = reply.related || [];
    if (!related.length) return false;
    return reply.action !== "answer" || (reply.confidence ?? 1) < UNSURE_BELOW;
  }

  /** A known incident comes first in an answer: its paragraph is shown as a notice. */
  function markKnownIssue(body) {
    const first = body.firstElementChild;
    if (first && first.tagName === "P") first.classList.add("known-issue");
  }

  function renderReply(reply, bubble) {
    bubble.done();
    const action = reply.action;
    if (reply.message_id !== null && reply.message_id !== undefined) seen.add(reply.message_id);
    if (action === "agent" || !reply.answer) {
      bubble.remove();
    } else {
      const { item, body } = bubble;
      renderMessage(body, reply.html, reply.answer, reply.citations || []);
      if (reply.incident) markKnownIssue(body);
      if (action === "clarify") item.classList.add("clarify");
      if (reply.citations && reply.citations.length) {
        item.append(
          h("div", { class: "sources" }, h("p", { class: "label", text: "Sources" }), articleLinks(reply.citations, "cites")),
        );
      }
      if (isUnsure(reply)) {
        item.append(
          h(
            "div",
            { class: "unsure" },
            h("p", {
              text:
                action === "answer"
                  ? "I'm not sure this answers your question. These articles look closest:"
                  : "I'm not sure I can answer this myself. These articles look closest:",
            }),
            articleLinks(reply.related, "related"),
          ),
        );
      }
      if (action === "answer" && reply.message_id != null) item.append(feedbackBar(reply.message_id));
      if (action === "answer") conv.answered = true;
    }
    if (reply.handoff && ["handoff", "waiting", "agent"].includes(action)) {
      conv.handedOff = true;
      conv.answered = true;
      if (action !== "agent" || !statusCard) updateStatus(reply.handoff);
      startPolling();
    }
    save();
    scrollDown();
  }

  function updateStatus(handoff) {
    const wait = (handoff.expected_wait && handoff.expected_wait.text) || "";
    const claimed = handoff.status === "claimed" || handoff.status === "waiting_on_customer";
    const resolved = handoff.status === "resolved";
    const title = resolved
      ? "Your case is resolved"
      : claimed
        ? "A person from our team has your case"
        : "A person will pick this up";
    const card = h(
      "div",
      { class: "status", "data-status": handoff.status },
      h("span", { class: "status-icon" }, icon(ICONS.person, 22)),
      h(
        "div",
        {},
        h("p", { class: "status-title", text: title }),
        !claimed && !resolved && wait ? h("p", { class: "wait", text: wait }) : null,
        resolved
          ? h("p", { text: "Write here if you need anything else." })
          : h("p", {
              text: "They already have a summary of this conversation, so you won't need to repeat yourself. Their replies will appear here.",
            }),
        h("p", { class: "case", text: `Case #${handoff.case_id}` }),
      ),
    );
    if (statusCard) statusCard.remove(); // news goes at the end of the thread
    log.append(card);
    statusCard = card;
    offerEmail(handoff.status);
    scrollDown();
  }

  // ---------------------------------------------------------------- email follow-up

  // Under the status card, a customer the site did not name (no data-customer-email) may leave
  // an address: the server emails the replies they do not see here. Which conversations have
  // one is kept in localStorage (their ids, never the address), so neither a reload nor a link
  // from our emails asks again. Whether the server sends email at all, the widget cannot tell.
  const EMAILED_KEEP = 20;
  let emailOffer = null; // the form, or the line saying we will email
  let emailFollowUp = false; // whether the desk sends email at all (GET /v1/status)

  function emailedConversations() {
    try {
      const ids = JSON.parse(localStorage.getItem(EMAILED_KEY));
      return Array.isArray(ids) ? ids : [];
    } catch {
      return [];
    }
  }
  function rememberEmailed(id) {
    try {
      const ids = [...emailedConversations().filter((known) => known !== id), id];
      localStorage.setItem(EMAILED_KEY, JSON.stringify(ids.slice(-EMAILED_KEEP)));
    } catch {
      /* storage disabled: a reload offers it again */
    }
  }

  /** The offer (or the line saying we will email) under the status card, until resolved. */
  function offerEmail(status) {
    if (!emailFollowUp || options.customerEmail || !conv || !statusCard) return;
    if (emailOffer && (status === "resolved" || emailOffer.dataset.conversation !== conv.id)) {
      emailOffer.remove(); // nothing left to follow up, or the offer of a conversation that ended
      emailOffer = null;
    }
    if (status === "resolved") return;
    if (!emailOffer) {
      emailOffer = emailedConversations().includes(conv.id) ? emailGiven("") : emailForm();
      emailOffer.dataset.conversation = conv.id;
    }
    const focused = emailOffer.contains(root.activeElement) ? root.activeElement : null;
    statusCard.after(emailOffer);
    if (focused) focused.focus(); // moved with the card: the customer keeps typing
  }

  function emailGiven(address) {
    const text = address
      ? `We'll email you at ${address} if you're not here.`
      : "We'll email you if you're not here.";
    return h("p", { class: "email-offer given", role: "status", text });
  }

  function emailForm() {
    const field = h("input", {
      id: "ad-email",
      class: "email-input",
      type: "email",
      name: "email",
      autocomplete: "email",
      inputmode: "email",
      autocapitalize: "off",
      spellcheck: "false",
      maxlength: "320",
      required: true,
      "aria-describedby": "ad-email-error",
    });
    const submit = h("button", { type: "submit", class: "email-send", text: "Email me" });
    const error = h("p", { id: "ad-email-error", class: "email-error", role: "alert", hidden: true });
    const refuse = (text) => {
      error.textContent = text;
      error.hidden = false;
      field.setAttribute("aria-invalid", "true");
      field.focus();
    };
    const offer = h(
      "form",
      {
        class: "email-offer",
        novalidate: true, // checked here, so the message is ours and in the widget's words
        "aria-label": "Follow-up by email",
        onsubmit: async (event) => {
          event.preventDefault();
          const email = field.value.trim();
          if (!conv || submit.disabled) return;
          // Lightly: the server says what is wrong with an address that looks like one.
          if (!/^[^\s@]+@[^\s@]+$/.test(email) || field.validity.typeMismatch) {
            refuse("Enter your email address, like name@example.com.");
            return;
          }
          error.hidden = true;
          field.removeAttribute("aria-invalid");
          submit.disabled = true;
          offer.setAttribute("aria-busy", "true");
          const id = conv.id;
          try {
            await api(`/v1/conversations/${encodeURIComponent(id)}/email`, {
              method: "POST",
              body: { email },
            });
            rememberEmailed(id);
            const given = emailGiven(email);
            given.dataset.conversation = id;
            offer.replaceWith(given);
            if (emailOffer === offer) emailOffer = given;
            input.focus();
          } catch (failure) {
            refuse(describeError(failure));
          } finally {
            submit.disabled = false;
            offer.removeAttribute("aria-busy");
          }
        },
      },
      h("label", { for: "ad-email", text: "Get the reply by email if you leave:" }),
      h("div", { class: "email-row" }, field, submit),
      error,
    );
    return offer;
  }

  // ---------------------------------------------------------------- CSAT

  function showCsat(question, { closeAfter = false } = {}) {
    if (!conv || conv.csat) return;
    conv.csatAsked = true;
    save();
    const existing = log.querySelector(".csat");
    if (existing) existing.remove();
    const status = h("p", { class: "thanks", role: "status" });
    const buttons = [1, 2, 3, 4, 5].map((score) =>
      h("button", {
        type: "button",
        class: "star",
        "aria-label": `${score} out of 5`,
        text: String(score),
        "aria-pressed": "false",
        onclick: async (event) => {
          const chosen = event.currentTarget;
          for (const b of buttons) b.disabled = true;
          chosen.setAttribute("aria-pressed", "true");
          try {
            await api(`/v1/conversations/${encodeURIComponent(conv.id)}/feedback`, {
              method: "POST",
              body: { csat: score },
            });
            conv.csat = score;
            save();
            status.textContent = "Thank you for rating us.";
            if (closeAfter) setTimeout(closePanel, 900);
          } catch (error) {
            for (const b of buttons) b.disabled = false;
            chosen.setAttribute("aria-pressed", "false");
            showNotice(describeError(error));
          }
        },
      }),
    );
    const card = h(
      "div",
      { class: "csat", role: "group", "aria-labelledby": "ad-csat-q" },
      h("p", { id: "ad-csat-q", text: question }),
      h("div", { class: "scale" }, h("span", { class: "end", text: "Poor" }), buttons, h("span", { class: "end", text: "Great" })),
      closeAfter
        ? h("button", { type: "button", class: "link", text: "Skip and close", onclick: closePanel })
        : null,
      status,
    );
    log.append(card);
    scrollDown();
    if (closeAfter) buttons[0].focus();
  }

  // ---------------------------------------------------------------- conversation

  async function ensureConversation() {
    if (conv) return;
    const customer = {};
    if (options.customerId) customer.id = options.customerId;
    if (options.customerEmail) customer.email = options.customerEmail;
    if (options.plan) customer.plan = options.plan;
    if (options.productArea) customer.product_area = options.productArea;
    if (options.role) customer.role = options.role;
    customer.locale = navigator.language || undefined;
    customer.page_url = location.href;
    // Signed by the embedding site (identity verification): without it, plan and role are
    // shown to agents as unverified and unlock nothing.
    const body = { customer };
    if (options.signature) body.signature = options.signature;
    const created = await api("/v1/conversations", { method: "POST", body });
    conv = { id: created.id, token: created.token };
    save();
  }

  async function onSubmit(event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || busy) return;
    busy = true;
    sendButton.disabled = true;
    form.setAttribute("aria-busy", "true");
    clearNotice();
    input.value = "";
    autosize();
    const sent = addBubble("customer", text).item;
    const key = unsent && unsent.text === text ? unsent.key : messageKey();
    unsent = { text, key };
    let bubble = null;
    try {
      await ensureConversation();
      bubble = pendingBubble();
      const reply = await postMessage(text, bubble, key);
      unsent = null;
      renderReply(reply, bubble);
    } catch (error) {
      if (bubble) bubble.remove();
      sent.remove(); // not sent: the text goes back into the box to send again
      if (error instanceof ApiError && (error.status === 401 || error.status === 404) && conv) {
        conv = null; // the conversation expired or was removed: the next message starts anew
        save();
        showNotice("This conversation has ended. Send your message again to start a new one.");
        input.value = text;
      } else {
        showNotice(describeError(error));
        if (!input.value) input.value = text;
      }
      autosize();
    } finally {
      busy = false;
      turns += 1;
      log.dataset.turns = String(turns); // finished sends: lets tests and hosts wait on a turn
      sendButton.disabled = false;
      form.removeAttribute("aria-busy");
      if (root.activeElement === sendButton || !root.activeElement) input.focus();
    }
  }

  /** After a reload: show the stored thread and pick up polling where it was. */
  async function resume() {
    try {
      const view = await api(`/v1/conversations/${encodeURIComponent(conv.id)}`);
      for (const message of view.messages) {
        seen.add(message.id);
        const { item } = addBubble(message.speaker, "", { author: message.author });
        const body = item.querySelector(".text");
        if (message.speaker === "customer") renderText(body, message.text, []);
        else renderMessage(body, message.html, message.text, message.citations || []);
        if (message.incident) markKnownIssue(body);
        if (message.citations && message.citations.length && message.speaker === "assistant") {
          item.append(
            h("div", { class: "sources" }, h("p", { class: "label", text: "Sources" }), articleLinks(message.citations, "cites")),
          );
        }
      }
      if (view.handoff) {
        conv.handedOff = true;
        updateStatus(view.handoff);
      }
      if (view.status === "resolved") conv.resolved = true;
      save();
      if (conv.handedOff && !conv.resolved) startPolling();
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 404)) {
        conv = null;
        save();
        greet();
      } else showNotice(describeError(error));
    }
  }

  function startPolling() {
    if (pollTimer || !conv) return;
    pollTimer = setInterval(poll, POLL_MS);
  }
  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }

  let polling = false;
  let typingLine = null;
  /** "An agent is typing…" under the conversation while the agent on the case types. */
  function showTyping(on) {
    if (!on) {
      if (typingLine) typingLine.remove();
      typingLine = null;
      return;
    }
    if (!typingLine) {
      typingLine = h("p", { class: "typing", role: "status", text: "An agent is typing…" });
      log.append(typingLine);
      scrollDown();
    }
  }

  async function poll() {
    if (!conv || polling || document.hidden) return;
    polling = true;
    try {
      const view = await api(`/v1/conversations/${encodeURIComponent(conv.id)}`);
      let fresh = 0;
      for (const message of view.messages) {
        if (seen.has(message.id)) continue;
        seen.add(message.id);
        if (message.speaker !== "agent") continue;
        addBubble("agent", message.text, { author: message.author, html: message.html });
        fresh += 1;
      }
      if (view.handoff) {
        const current = statusCard && statusCard.dataset.status;
        if (current !== view.handoff.status) updateStatus(view.handoff);
      }
      showTyping(Boolean(view.handoff && view.handoff.agent_typing) && !view.status.startsWith("resolved"));
      if (fresh) {
        conv.answered = true;
        if (panel.hidden) setUnread(unread + fresh);
      }
      if (view.status === "resolved") {
        conv.resolved = true;
        stopPolling();
        if (!conv.csat && !conv.csatAsked) showCsat("Your case is resolved. How would you rate the help you got?");
      }
      save();
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 404)) stopPolling();
      /* other failures: try again at the next tick */
    } finally {
      polling = false;
    }
  }

  // ---------------------------------------------------------------- links from our emails

  /** The conversation id a signed link names: its first part is base64url of "<id>.<expiry>".
   * Read only to build the URL; the server checks the signature and the expiry. */
  function linkConversation(link) {
    try {
      const encoded = link.split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
      const payload = atob(encoded + "=".repeat((4 - (encoded.length % 4)) % 4));
      const cut = payload.lastIndexOf(".");
      return cut > 0 ? payload.slice(0, cut) : null;
    } catch {
      return null;
    }
  }

  function dropResumeParam() {
    try {
      const url = new URL(location.href);
      url.searchParams.delete(RESUME_PARAM);
      history.replaceState(history.state, "", url.pathname + url.search + url.hash);
    } catch {
      /* a sandboxed page: the link stays in the address bar */
    }
  }

  /** An email of ours sent the customer here: the link gives the conversation a new token (the
   * old one stops working), and the panel opens on it. A link the server refuses (expired,
   * forged) is taken out of the address bar; one it did not answer stays, so a reload retries. */
  async function resumeFromLink(link) {
    const id = linkConversation(link);
    let resumed = null;
    let failure = null;
    if (id) {
      try {
        resumed = await api(`/v1/conversations/${encodeURIComponent(id)}/resume`, {
          method: "POST",
          body: { link },
          bearer: false,
        });
      } catch (error) {
        failure = error;
      }
    }
    const unanswered = failure && (!(failure instanceof ApiError) || failure.status === 429 || failure.status >= 500);
    if (!unanswered) dropResumeParam();
    if (!resumed) {
      showStored(); // this tab's own conversation, if it has one; else a fresh start
      openPanel();
      showNotice(unanswered ? describeError(failure) : "This link has expired; ask us again here.");
      return;
    }
    conv = { id: resumed.id, token: resumed.token };
    save();
    rememberEmailed(conv.id); // the link came by email: the server has an address
    threadShown = true;
    openPanel();
    await resume();
  }

  function showStored() {
    if (!conv) return;
    threadShown = true;
    resume();
  }

  // Mount once the page has a body (the script is async: it may run before or after parsing).
  // A stored conversation is rendered at once, so a reload keeps the thread (and its polling).
  function mount() {
    document.body.append(host);
    const link = new URLSearchParams(location.search).get(RESUME_PARAM);
    if (link) resumeFromLink(link);
    else showStored();
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  // ---------------------------------------------------------------- styles

  function CSS() {
    return `
:host { all: initial; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.launcher, .panel { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1d2430; }
button { font: inherit; cursor: pointer; }
:focus-visible { outline: 3px solid #f5a524; outline-offset: 2px; }
.launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; width: 60px; height: 60px;
  border-radius: 50%; border: 0; background: #1b5e4a; color: #fff; box-shadow: 0 6px 20px rgba(0,0,0,.25);
  display: grid; place-items: center; }
.launcher svg { fill: none; stroke: currentColor; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
.launcher:hover { background: #154a3a; }
.badge { position: absolute; top: -2px; right: -2px; min-width: 22px; height: 22px; padding: 0 6px; border-radius: 11px;
  background: #c62828; color: #fff; font-size: 12px; font-weight: 700; display: grid; place-items: center; }
.panel { position: fixed; right: 20px; bottom: 92px; z-index: 2147483000; width: 380px; max-width: calc(100vw - 40px);
  height: min(600px, calc(100vh - 120px)); display: flex; flex-direction: column; background: #fff;
  border-radius: 14px; box-shadow: 0 12px 40px rgba(0,0,0,.28); overflow: hidden; }
.head { display: flex; align-items: center; justify-content: space-between; gap: 8px; padding: 12px 12px 12px 16px;
  background: #1b5e4a; color: #fff; }
.head h2 { margin: 0; font-size: 16px; font-weight: 650; }
.head .sub { margin: 2px 0 0; font-size: 12.5px; opacity: .9; }
.icon-button { width: 40px; height: 40px; border: 0; border-radius: 8px; background: transparent; color: inherit;
  display: grid; place-items: center; }
.icon-button:hover { background: rgba(255,255,255,.15); }
.icon-button svg { fill: none; stroke: currentColor; stroke-width: 2.2; stroke-linecap: round; }
.log { flex: 1; overflow-y: auto; padding: 14px; display: flex; flex-direction: column; gap: 10px; background: #f6f7f9; }
.msg { max-width: 88%; padding: 9px 12px; border-radius: 12px; background: #fff; border: 1px solid #e2e5ea;
  align-self: flex-start; overflow-wrap: anywhere; }
.msg .who { display: block; font-size: 11.5px; font-weight: 650; color: #5a6472; margin-bottom: 2px; }
.msg .text { white-space: pre-wrap; }
.msg .text.md { white-space: normal; }
.md p { margin: 0 0 6px; }
.md > :last-child { margin-bottom: 0; }
.md ol, .md ul { margin: 4px 0 6px; padding-left: 22px; }
.md li { margin: 2px 0; }
.md .table { overflow-x: auto; margin: 4px 0 6px; }
.md table { border-collapse: collapse; font-size: 13.5px; }
.md th, .md td { border: 1px solid #d3d8df; padding: 4px 6px; text-align: left; vertical-align: top; }
.md th { background: #f1f3f5; font-weight: 650; }
.md code, .md pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; background: #f1f3f5; border-radius: 4px; }
.md code { padding: 0 3px; }
.md pre { margin: 4px 0 6px; padding: 6px 8px; overflow-x: auto; }
.md blockquote { margin: 4px 0 6px; padding-left: 10px; border-left: 3px solid #d3d8df; color: #3d4653; }
.msg.customer { align-self: flex-end; background: #1b5e4a; border-color: #1b5e4a; color: #fff; }
.msg.customer .who { color: #d5eee5; }
.msg.agent { background: #eef4ff; border-color: #b9cdf5; }
.msg.agent .who { color: #23448a; }
.msg.clarify { border-left: 4px solid #f5a524; }
a { color: #1a56b8; }
a.cite { font-weight: 650; text-decoration: none; padding: 0 1px; }
a.cite:hover { text-decoration: underline; }
.sources, .unsure { margin-top: 8px; padding-top: 6px; border-top: 1px solid #e2e5ea; font-size: 13.5px; }
.sources .label { margin: 0 0 2px; font-size: 11.5px; font-weight: 650; color: #5a6472; text-transform: uppercase; letter-spacing: .03em; }
.sources ol, .unsure ol { margin: 0; padding-left: 22px; }
.unsure p { margin: 0 0 4px; font-weight: 600; color: #7a4b00; }
.unsure ol { list-style: disc; }
.feedback { display: flex; align-items: center; gap: 4px; margin-top: 6px; font-size: 12.5px; color: #5a6472; flex-wrap: wrap; }
.thumb { width: 32px; height: 32px; border: 1px solid #d3d8df; border-radius: 8px; background: #fff; color: #4a5361;
  display: grid; place-items: center; }
.thumb svg { fill: none; stroke: currentColor; stroke-width: 1.8; stroke-linejoin: round; }
.thumb[aria-pressed="true"] { background: #1b5e4a; color: #fff; border-color: #1b5e4a; }
.thumb:disabled { cursor: default; }
.thanks { margin: 0 0 0 4px; font-size: 12.5px; color: #3d4653; }
.dots { display: inline-flex; gap: 4px; padding: 4px 0; }
.dots i { width: 7px; height: 7px; border-radius: 50%; background: #9aa3af; animation: blink 1.2s infinite both; }
.dots i:nth-child(2) { animation-delay: .2s; } .dots i:nth-child(3) { animation-delay: .4s; }
@keyframes blink { 0%, 80%, 100% { opacity: .25; } 40% { opacity: 1; } }
@media (prefers-reduced-motion: reduce) { .dots i { animation: none; opacity: .6; } }
.status { display: flex; gap: 10px; padding: 12px; border-radius: 12px; background: #fff8e6; border: 1px solid #f0d58a; font-size: 14px; }
.status[data-status="claimed"], .status[data-status="waiting_on_customer"] { background: #eaf6ef; border-color: #9fd2b5; }
.status[data-status="resolved"] { background: #eef1f5; border-color: #cfd5dd; }
.status p { margin: 0 0 4px; }
.status .status-title { font-weight: 700; }
.status .wait { font-weight: 600; color: #7a4b00; }
.status .case { font-size: 12px; color: #5a6472; margin: 0; }
.typing { font-size: 13px; color: #5a6472; font-style: italic; margin: 2px 4px; }
.status-icon svg { fill: none; stroke: #1d2430; stroke-width: 2; stroke-linecap: round; }
.csat { padding: 12px; border-radius: 12px; background: #fff; border: 1px solid #cfd5dd; font-size: 14px; }
.csat p { margin: 0 0 8px; font-weight: 600; }
.csat .scale { display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }
.csat .end { font-size: 12px; color: #5a6472; }
.star { width: 40px; height: 40px; border-radius: 50%; border: 1px solid #b8c0cb; background: #fff; font-weight: 700; }
.star:hover:not(:disabled) { background: #eaf6ef; border-color: #1b5e4a; }
.star:disabled { opacity: .6; cursor: default; }
.star[aria-pressed="true"] { background: #1b5e4a; border-color: #1b5e4a; color: #fff; opacity: 1; }
.link { margin-top: 8px; border: 0; background: none; color: #1a56b8; text-decoration: underline; padding: 4px 0; }
.csat .thanks { margin: 6px 0 0; font-weight: 400; }
.incidents:empty { display: none; }
.incident { display: flex; gap: 10px; padding: 10px 14px; background: #fff4d6; border-bottom: 1px solid #e6b94a; font-size: 13.5px; }
.incident-icon svg { fill: none; stroke: #8a5a00; stroke-width: 2.2; stroke-linecap: round; stroke-linejoin: round; margin-top: 2px; }
.incident-body { min-width: 0; }
.incident p { margin: 0; overflow-wrap: anywhere; }
.incident-title { font-weight: 600; }
.incident-update { display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: 3; overflow: hidden; margin-top: 2px; }
.incident-meta { margin-top: 2px; font-size: 12.5px; color: #5a4a1f; }
.incident-meta a { color: #1a56b8; font-weight: 600; }
.md p.known-issue { padding: 6px 8px; border-left: 3px solid #e0a100; border-radius: 4px; background: #fff4d6; }
.notice { margin: 0; padding: 10px 14px; background: #fdecea; color: #8a1c1c; border-top: 1px solid #f3b8b3; font-size: 14px; }
.composer { display: grid; grid-template-columns: 1fr auto; gap: 8px; padding: 10px 12px 6px; border-top: 1px solid #e2e5ea; background: #fff; }
.input { resize: none; min-height: 44px; max-height: 140px; padding: 10px 12px; border: 1px solid #b8c0cb; border-radius: 10px;
  font: inherit; color: inherit; background: #fff; }
.input:focus-visible { outline: 3px solid #f5a524; outline-offset: 0; border-color: #1b5e4a; }
.send { width: 44px; height: 44px; border: 0; border-radius: 10px; background: #1b5e4a; color: #fff; display: grid; place-items: center; }
.send svg { fill: currentColor; }
.send:disabled { background: #8aa69c; cursor: progress; }
.hint { grid-column: 1 / -1; margin: 0; font-size: 11.5px; color: #5a6472; }
.email-offer { margin: 0; padding: 10px 12px; border-radius: 12px; background: #fff; border: 1px solid #cfd5dd; font-size: 14px; }
.email-offer label { display: block; margin: 0 0 6px; font-weight: 600; }
.email-offer.given { background: #eaf6ef; border-color: #9fd2b5; color: #1d4d3a; overflow-wrap: anywhere; }
.email-row { display: flex; gap: 8px; }
.email-input { flex: 1; min-width: 0; min-height: 40px; padding: 8px 10px; border: 1px solid #b8c0cb; border-radius: 8px;
  font: inherit; color: inherit; background: #fff; }
.email-input:focus-visible { outline: 3px solid #f5a524; outline-offset: 0; border-color: #1b5e4a; }
.email-input[aria-invalid="true"] { border-color: #c62828; }
.email-send { min-height: 40px; padding: 0 14px; border: 0; border-radius: 8px; background: #1b5e4a; color: #fff; font-weight: 600; }
.email-send:hover:not(:disabled) { background: #154a3a; }
.email-send:disabled { background: #8aa69c; cursor: progress; }
.email-error { margin: 6px 0 0; color: #8a1c1c; font-size: 13.5px; overflow-wrap: anywhere; }
@media (max-width: 480px) {
  .panel { inset: 0; width: 100%; max-width: none; height: 100%; border-radius: 0; }
  .panel.is-open ~ .launcher { display: none; }
  .msg { max-width: 94%; }
  .email-input { font-size: 16px; } /* below 16px a phone zooms in on focus */
}
`;
  }
})();
