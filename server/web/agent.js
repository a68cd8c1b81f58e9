/* answerdesk agent console: plain JS, no dependencies, no build step.
   Server text is only ever set with textContent / text nodes: never innerHTML. Messages arrive
   with their Markdown rendered to safe HTML by the server; that HTML is parsed in an inert
   document and rebuilt element by element from a short allow-list (markdown). */
(() => {
  "use strict";
  const KEY_STORE = "answerdesk:agent-key";
  const VIEW_STORE = "answerdesk:agent-view";
  const REFRESH_MS = 8000; // polling, only while the live stream is down
  const DEBOUNCE_MS = 150; // a burst of events (a hand-off writes several) makes one reload
  const ACTIVE = "open,claimed,waiting_on_customer";
  const PLACEHOLDER = /\{\{\s*[^{}]*?\s*\}\}/g;

  const $ = (id) => document.getElementById(id);
  let key = sessionStorage.getItem(KEY_STORE) || "";
  let me = null;
  let current = null; // the case shown: CaseRow + summary + transcript
  let timer = null;
  let polling = null; // what the fallback timer refreshes: the queue or the open case
  let view = 0; // bumped on every navigation: a slow load for an old view does nothing
  let listed = { cases: [], incidents: new Map() }; // the queue as last loaded, before the view filter
  let viewName = localStorage.getItem(VIEW_STORE) || "all";
  let selected = null; // the queue row j/k point at (a case id)
  const claimedByMe = new Set(); // case ids: a customer's reply on one of them alerts me

  const live = window.answerdeskLive({
    key: () => key,
    onEvent: liveEvent,
    onState: liveState,
    onDenied: () => signOut("Your key is no longer accepted: sign in again."),
  });
  const alerts = window.answerdeskAlerts({
    sound: $("sound-toggle"),
    notify: $("notify-toggle"),
    note: (text) => show($("alert-note"), text),
    onOpen: (id) => (location.hash = `#case-${id}`),
  });
  const search = window.answerdeskSearch({ api, h, when, pretty: (text) => pretty(text) });

  // ------------------------------------------------------------------ helpers

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") el.className = value;
      else if (name === "text") el.textContent = value;
      else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
      else el.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) el.append(child);
    }
    return el;
  }

  function safeUrl(url) {
    if (!url) return null;
    try {
      const parsed = new URL(url, location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch {
      return null;
    }
  }

  function link(url, text) {
    const href = safeUrl(url);
    return href
      ? h("a", { href, target: "_blank", rel: "noopener noreferrer", text })
      : h("span", { text });
  }

  function show(el, text) {
    el.textContent = text || "";
    el.hidden = !text;
  }

  function waited(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const minutes = Math.floor(seconds / 60);
    if (minutes < 1) return "< 1 min";
    if (minutes < 60) return `${minutes} min`;
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return `${hours} h ${minutes % 60} min`;
    return `${Math.floor(hours / 24)} days`;
  }

  function when(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
  }

  const pretty = (text) => String(text || "").replace(/_/g, " ");

  // The server's rendered Markdown, checked again against this allow-list and rebuilt with
  // createElement: other elements give their text only, these give nothing, and no attribute is
  // copied but a checked link's href and a list's start.
  const MARKUP = new Set(["P", "BR", "STRONG", "EM", "CODE", "PRE", "BLOCKQUOTE", "UL", "OL", "LI",
    "TABLE", "THEAD", "TBODY", "TR", "TH", "TD", "A", "HR", "DEL", "S"]);
  const DROPPED = new Set(["SCRIPT", "STYLE", "TEMPLATE", "IFRAME", "OBJECT", "EMBED", "SVG", "MATH",
    "NOSCRIPT", "TITLE", "TEXTAREA", "SELECT", "BUTTON", "INPUT", "FORM"]);

  /** A div holding `html` (a message's rendered Markdown) made safe; `text` when there is none. */
  function markdown(html, text) {
    const box = h("div", { class: html ? "text md" : "text", text: html ? null : text || "" });
    if (html) copySafe(new DOMParser().parseFromString(String(html), "text/html").body, box, false);
    return box;
  }

  function copySafe(from, into, inLink) {
    for (const node of from.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        into.append(node.data);
        continue;
      }
      if (node.nodeType !== Node.ELEMENT_NODE || DROPPED.has(node.tagName)) continue;
      const tag = node.tagName;
      const href = tag === "A" && !inLink ? safeLink(node.getAttribute("href")) : null;
      if (!MARKUP.has(tag) || (tag === "A" && !href)) {
        copySafe(node, into, inLink); // its text, without the element
        continue;
      }
      const start = tag === "OL" ? node.getAttribute("start") : null;
      const el =
        tag === "A"
          ? h("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" })
          : h(tag.toLowerCase(), { start: start && /^\d{1,6}$/.test(start) ? start : null });
      copySafe(node, el, inLink || tag === "A");
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

  // ------------------------------------------------------------------ API

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(path, { method = "GET", body } = {}) {
    const init = { method, headers: { "X-API-Key": key, Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch {
      throw new ApiError(0, "network", "The answerdesk server cannot be reached. Is it running?");
    }
    if (res.ok) return res.status === 204 ? null : res.json();
    let code = `http_${res.status}`;
    let message = `The server answered ${res.status}.`;
    try {
      const payload = await res.json();
      if (payload && payload.error) ({ code, message } = { ...{ code, message }, ...payload.error });
    } catch {
      /* not JSON */
    }
    if (res.status === 429) {
      const after = res.headers.get("Retry-After");
      message = `Too many requests: wait ${after ? `${after} s` : "a moment"} and try again.`;
    }
    const error = new ApiError(res.status, code, message);
    if (res.status === 401 && me) signOut(message);
    throw error;
  }

  // ------------------------------------------------------------------ sign in

  async function signIn(candidate) {
    key = candidate;
    try {
      me = await api("/v1/agent/me");
    } catch (error) {
      key = "";
      me = null;
      sessionStorage.removeItem(KEY_STORE);
      throw error;
    }
    sessionStorage.setItem(KEY_STORE, key);
    $("me-name").textContent = me.name;
    $("me-role").textContent = me.role;
    $("who").hidden = false;
    $("login").hidden = true;
    route();
    live.start();
  }

  function signOut(reason) {
    sessionStorage.removeItem(KEY_STORE);
    key = "";
    me = null;
    poll(null);
    live.stop();
    alerts.clear();
    search.clear();
    claimedByMe.clear();
    $("who").hidden = true;
    $("queue").hidden = true;
    $("case").hidden = true;
    $("login").hidden = false;
    show($("login-error"), reason || "");
    $("key").value = "";
    $("key").focus();
  }

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const candidate = $("key").value.trim();
    if (!candidate) {
      show($("login-error"), "Paste your API key.");
      $("key").focus();
      return;
    }
    show($("login-error"), "");
    try {
      await signIn(candidate);
    } catch (error) {
      show(
        $("login-error"),
        error.status === 401 || error.status === 403
          ? `This key was not accepted: ${error.message}`
          : error.message,
      );
      $("key").focus();
    }
  });
  $("signout").addEventListener("click", () => signOut("Signed out."));

  // ------------------------------------------------------------------ routing

  function route() {
    if (!me) return;
    poll(null);
    const match = /^#case-(\d+)$/.exec(location.hash);
    if (match) openCase(Number(match[1]));
    else showQueue();
  }
  window.addEventListener("hashchange", route);

  // ------------------------------------------------------------------ queue

  async function showQueue() {
    const mine = ++view;
    current = null;
    $("case").hidden = true;
    $("queue").hidden = false;
    await loadQueue();
    if (mine !== view) return;
    if (!$("search-form").contains(document.activeElement)) $("queue-h").focus({ preventScroll: true });
    poll(loadQueue);
  }

  async function loadQueue() {
    const status = $("status-filter").value || ACTIVE;
    try {
      const [data, incidents] = await Promise.all([
        api(`/v1/agent/cases?status=${encodeURIComponent(status)}&sort=priority&limit=200`),
        knownIncidents(),
      ]);
      const cases = [...data.cases].sort(
        (a, b) => (b.priority ?? 0) - (a.priority ?? 0) || (b.waiting_seconds ?? 0) - (a.waiting_seconds ?? 0),
      );
      for (const row of cases) noteClaim(row);
      listed = { cases, incidents };
      renderQueue();
      show($("queue-error"), "");
      $("queue-updated").textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      show($("queue-error"), error.message);
    }
  }

  function queueRow(row) {
    const label = row.priority_label || "—";
    return h(
      "tr",
      { "data-case": row.id },
      h(
        "td",
        {},
        h("span", {
          class: `pill p-${String(label).toLowerCase()}`,
          title: (row.priority_reasons || []).join("; "),
          text: label,
        }),
      ),
      h("td", { class: "title" }, h("a", { href: `#case-${row.id}`, text: row.title || `Case ${row.id}` })),
      h("td", { text: pretty(row.category) || "—" }),
      h("td", { text: row.queue || "—" }),
      h("td", { class: "nowrap", text: waited(row.waiting_seconds) }),
      h("td", {}, h("span", { class: `pill s-${String(row.status).split("_")[0]}`, text: pretty(row.status) })),
      h("td", { text: row.claimed_by || "—" }),
    );
  }

  // Cases handed off during an incident carry the tag `incident:<id>`: they come first, under a
  // header per incident (open ones first), the other cases after them as before.
  const INCIDENT_TAG = /^incident:(\d+)$/;

  /** Incidents by id from the public status (open and resolved in the last 7 days); none when
   * it cannot be read: the queue shows regardless, the groups titled by number. */
  async function knownIncidents() {
    try {
      const res = await fetch("/v1/status", { headers: { Accept: "application/json" } });
      const data = res.ok ? await res.json() : {};
      return new Map([...(data.incidents || []), ...(data.resolved || [])].map((i) => [String(i.id), i]));
    } catch {
      return new Map();
    }
  }

  function queueRows(cases, incidents) {
    const groups = new Map();
    const others = [];
    for (const row of cases) {
      const tag = (row.tags || []).map((t) => INCIDENT_TAG.exec(t)).find(Boolean);
      if (!tag) others.push(row);
      else groups.set(tag[1], [...(groups.get(tag[1]) || []), row]);
    }
    if (!groups.size) return others.map(queueRow);
    const open = (id) => (incidents.has(id) && incidents.get(id).status !== "resolved" ? 0 : 1);
    const order = [...groups.keys()].sort((a, b) => open(a) - open(b) || Number(b) - Number(a));
    const rows = [];
    for (const id of order) {
      const incident = incidents.get(id);
      const label = incident
        ? ["Incident: ", h("strong", { text: incident.title }), ` · ${pretty(incident.status)} · `]
        : [h("strong", { text: `Incident #${id}` }), " · "];
      rows.push(...groupRows(id, label, groups.get(id)));
    }
    if (others.length) rows.push(...groupRows(null, [h("strong", { text: "Other cases" }), " · "], others));
    return rows;
  }

  /** A header row over `cases` (of one incident, or the others), then their rows. */
  function groupRows(incident, label, cases) {
    const count = `${cases.length} case${cases.length === 1 ? "" : "s"}`;
    const head = h(
      "tr",
      { class: incident ? "group-head" : "group-head others", "data-incident": incident },
      h("th", { scope: "colgroup", colspan: "7" }, label, count),
    );
    return [head, ...cases.map(queueRow)];
  }

  $("refresh").addEventListener("click", loadQueue);
  $("status-filter").addEventListener("change", () => {
    search.clear(); // the queue's filter: its list comes back
    loadQueue();
  });

  // ------------------------------------------------------------------ views and selection

  // Filters over the rows the status filter loaded: switching costs no request.
  const VIEWS = {
    mine: (row) => Boolean(me) && row.claimed_by === me.name,
    unassigned: (row) => row.status === "open",
    all: () => true,
  };
  if (!VIEWS[viewName]) viewName = "all";

  function renderQueue() {
    for (const button of document.querySelectorAll("#views button")) {
      const name = button.dataset.view;
      button.setAttribute("aria-pressed", String(name === viewName));
      button.querySelector(".count").textContent = String(listed.cases.filter(VIEWS[name]).length);
    }
    const shown = listed.cases.filter(VIEWS[viewName]);
    // A live refresh redraws the rows: keyboard focus on a row stays on that case.
    const focused = $("queue-body").contains(document.activeElement);
    $("queue-body").replaceChildren(...queueRows(shown, listed.incidents));
    $("queue-empty").hidden = shown.length > 0;
    const row = markSelected();
    if (focused && row) row.querySelector("a").focus({ preventScroll: true });
  }

  function chooseView(name) {
    viewName = name;
    localStorage.setItem(VIEW_STORE, name);
    search.clear();
    if (current) location.hash = "#queue";
    else renderQueue();
  }

  $("views").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-view]");
    if (button) chooseView(button.dataset.view);
  });

  /** Marks the selected case's row; returns it (null when it is not listed). */
  function markSelected() {
    const rows = [...$("queue-body").querySelectorAll("tr[data-case]")];
    for (const row of rows) row.setAttribute("aria-current", String(Number(row.dataset.case) === selected));
    return rows.find((row) => Number(row.dataset.case) === selected) || null;
  }

  function moveSelection(step) {
    const rows = [...$("queue-body").querySelectorAll("tr[data-case]")];
    if (!rows.length) return;
    const at = rows.findIndex((row) => Number(row.dataset.case) === selected);
    const next = at < 0 ? (step > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, at + step));
    selected = Number(rows[next].dataset.case);
    markSelected();
    // The row's link takes the focus: a screen reader reads it, and Enter follows it.
    rows[next].querySelector("a").focus();
  }

  // ------------------------------------------------------------------ live

  /** Polls `fn` every REFRESH_MS, but only while the live stream is down: while it is up, its
   * events trigger the reloads. `null` stops polling. */
  function poll(fn) {
    polling = fn;
    clearInterval(timer);
    timer = fn && !live.isLive() ? setInterval(fn, REFRESH_MS) : null;
  }

  function liveState(state, lastId) {
    const badge = $("live");
    badge.hidden = state === "off";
    badge.dataset.state = state;
    $("live-text").textContent = state === "live" ? "Live" : "Reconnecting…";
    badge.title = state === "live" ? "New cases and messages appear as they happen." : `Reconnecting: meanwhile the console refreshes every ${REFRESH_MS / 1000} s.`;
    poll(polling);
    // A fresh stream starts at the latest event: what happened before it is loaded once.
    if (state === "live" && !lastId) reloadSoon(true);
  }

  const soon = { queue: null, case: null };

  /** Reloads the queue (`queue`) and/or the open case (`open`) after a short pause. */
  function reloadSoon(queue, open = queue) {
    if (queue && !$("queue").hidden) {
      clearTimeout(soon.queue);
      soon.queue = setTimeout(loadQueue, DEBOUNCE_MS);
    }
    if (open && current) {
      const id = current.id;
      clearTimeout(soon.case);
      soon.case = setTimeout(() => current && current.id === id && loadCase(id, false).catch(() => {}), DEBOUNCE_MS);
    }
  }

  function noteClaim(row) {
    if (me && row.claimed_by === me.name) claimedByMe.add(row.id);
    else claimedByMe.delete(row.id);
  }

  function liveEvent(event) {
    $("live").dataset.lastEvent = event.id;
    const row = event.data.case;
    const caseId = row ? row.id : event.data.case_id;
    if (row) noteClaim(row);
    reloadSoon(Boolean(row), Boolean(current) && caseId === current.id);
    const message = event.data.message;
    if (event.type === "case.created") {
      const issue = (row.summary && row.summary.issue) || "";
      alerts.notice({ title: `New case #${row.id}`, body: issue || `Queue: ${row.queue || "support"}`, caseId: row.id });
    } else if (event.type === "message.created" && message && message.speaker === "customer" && claimedByMe.has(caseId)) {
      alerts.notice({ title: `Case #${caseId}: the customer replied`, body: String(message.text || "").slice(0, 160), caseId });
    }
  }

  // ------------------------------------------------------------------ case view

  async function openCase(id) {
    const mine = ++view;
    $("queue").hidden = true;
    $("case").hidden = false;
    for (const banner of ["claim-warning", "case-error", "case-status"]) show($(banner), "");
    delete $("claim-warning").dataset.sticky;
    const fresh = !current || current.id !== id;
    try {
      await loadCase(id, fresh);
    } catch (error) {
      show($("case-error"), error.message);
      return;
    }
    if (mine !== view) return;
    if (fresh) {
      $("case-title").focus({ preventScroll: false });
      loadSavedReplies(id);
    }
    poll(() => loadCase(id, false).catch(() => {}));
  }

  async function loadCase(id, fresh) {
    const data = await api(`/v1/agent/cases/${id}`);
    current = data;
    noteClaim(data);
    renderCase(data);
    if (fresh) {
      const draft = (data.summary && data.summary.draft_reply) || "";
      $("reply-text").value = draft;
      $("note-text").value = "";
      $("resolution").value = "";
      checkPlaceholders();
    }
  }

  function renderCase(c) {
    $("case-title").textContent = `#${c.id} · ${c.title || "Case"}`;
    const bits = [
      pretty(c.status),
      c.queue && `queue ${c.queue}`,
      c.claimed_by ? `claimed by ${c.claimed_by}` : "unclaimed",
      c.waiting_seconds != null && `waiting ${waited(c.waiting_seconds)}`,
      c.created_at && `opened ${when(c.created_at)}`,
    ];
    $("case-meta").textContent = bits.filter(Boolean).join(" · ");
    const mine = c.claimed_by && me && c.claimed_by === me.name;
    const other = c.claimed_by && !mine;
    if (other && !$("claim-warning").dataset.sticky) {
      show(
        $("claim-warning"),
        `${c.claimed_by} already claimed this case${c.claimed_at ? ` (${when(c.claimed_at)})` : ""}. Check with them before you reply.`,
      );
    } else if (!other) {
      delete $("claim-warning").dataset.sticky;
      show($("claim-warning"), "");
    }
    $("claim").disabled = Boolean(mine) || c.status === "resolved";
    $("release").disabled = !mine;
    $("resolve").disabled = c.status === "resolved";
    // A resolved case reaches the help center only once a reviewer approves it.
    const kb = c.status === "resolved" ? c.kb_status || "none" : "";
    show($("kb-state"), KB_STATES[kb] || "");
    $("propose").hidden = kb !== "none" && kb !== "rejected";
    renderSummary(c.summary || {});
    renderTranscript(c.transcript || []);
    renderTags(c.tags || []);
    search.earlier(c.earlier_cases);
  }

  const KB_STATES = {
    candidate: "Proposed for the help center: waits for a reviewer's approval.",
    approved: "Approved for the help center: it goes out with the next export.",
    exported: "Exported for the help center.",
    rejected: "A reviewer kept this case out of the help center.",
  };

  function dlRow(list, term, ...content) {
    const items = content.flat().filter((x) => x !== null && x !== undefined && x !== "");
    if (!items.length) return;
    list.append(h("dt", { text: term }), h("dd", {}, ...items));
  }

  function chips(values, cls) {
    return values && values.length
      ? h("ul", { class: "chips" }, values.map((v) => h("li", { class: `chip ${cls || ""}`, text: pretty(v) })))
      : null;
  }

  function sparkline(values) {
    if (!values || values.length < 2) return null;
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    const width = 90;
    const height = 20;
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("class", "spark");
    svg.setAttribute("aria-hidden", "true");
    const points = values.map((v, i) => {
      const x = (i / (values.length - 1)) * (width - 4) + 2;
      const y = height - 2 - ((Math.max(-1, Math.min(1, v)) + 1) / 2) * (height - 4);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    });
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", points.join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", "#5a6472");
    line.setAttribute("stroke-width", "1.5");
    svg.append(line);
    return svg;
  }

  function renderSummary(s) {
    const list = h("dl", { class: "summary" });
    const customer = s.customer || {};
    dlRow(list, "Issue", s.issue ? h("span", { class: "issue-text", text: s.issue }) : null);
    if (list.lastChild) list.lastChild.classList.add("issue");
    const unverified = (customer.email || customer.id || customer.plan) && !customer.verified;
    const who = [customer.email || customer.id, customer.plan && `plan: ${customer.plan}`,
      unverified && "unverified (not signed by the site)",
      customer.product_area && `area: ${customer.product_area}`, customer.locale].filter(Boolean);
    dlRow(list, "Customer", who.join(" · "), customer.page_url ? [" · ", link(customer.page_url, "page")] : null);
    dlRow(list, "Category", pretty(s.category), s.channel ? ` · via ${s.channel}` : null);
    dlRow(list, "Description", s.description ? h("blockquote", { text: s.description }) : null);
    const tried = (s.tried || []).map((t) =>
      h("li", { text: `${t.what} (${t.helped === true ? "helped" : t.helped === false ? "did not help" : "result unknown"})` }),
    );
    dlRow(list, "What was tried", tried.length ? h("ul", {}, tried) : null);
    const diagnosis = s.diagnosis || {};
    const sources = (diagnosis.sources || []).map((c) => h("li", {}, link(c.url, c.title || c.document_id)));
    const similar = (diagnosis.similar_cases || []).map((c) => h("li", { text: c.title || c.document_id }));
    dlRow(
      list,
      "Diagnosis",
      diagnosis.text ? h("p", { class: "diagnosis flush", text: diagnosis.text }) : null,
      sources.length ? [h("div", { class: "small muted", text: "Sources" }), h("ol", { class: "sources" }, sources)] : null,
      similar.length ? [h("div", { class: "small muted", text: "Similar cases" }), h("ul", { class: "similar" }, similar)] : null,
    );
    const suggested = (s.suggested_articles || []).map((a) => h("li", {}, link(a.url, a.title || a.document_id)));
    dlRow(list, "Suggested articles", suggested.length ? h("ul", {}, suggested) : null);
    const steps = (s.next_steps || []).map((step) => h("li", { text: step }));
    dlRow(list, "Next steps", steps.length ? h("ol", {}, steps) : null);
    const sentiment = s.sentiment || {};
    if (sentiment.label) {
      const arrow = { rising: "↑", falling: "↓", steady: "→" }[sentiment.trend] || "";
      dlRow(
        list,
        "Sentiment",
        `${sentiment.label}${sentiment.score != null ? ` (${Number(sentiment.score).toFixed(2)})` : ""} `,
        sentiment.trend ? h("span", { class: `trend ${sentiment.trend}`, text: `${arrow} ${sentiment.trend}` }) : null,
        sparkline(sentiment.trajectory),
      );
    }
    const priority = s.priority || {};
    if (priority.label) {
      const why = (priority.why || []).map((w) => h("li", { text: w }));
      dlRow(
        list,
        "Priority",
        h("span", { class: `pill p-${String(priority.label).toLowerCase()}`, text: priority.label }),
        priority.score != null ? ` ${Number(priority.score).toFixed(2)}` : null,
        why.length ? h("ul", {}, why) : null,
      );
    }
    dlRow(list, "Hand-off reasons", chips(s.handoff_reasons), s.explanation ? h("p", { class: "explanation", text: s.explanation }) : null);
    dlRow(list, "Confidence", s.confidence == null ? "not measured" : `${Math.round(s.confidence * 100)}%`);
    const fields = Object.entries(s.fields || {}).map(([k, v]) => h("li", { text: `${pretty(k)}: ${v}` }));
    dlRow(list, "Details collected", fields.length ? h("ul", {}, fields) : null);
    dlRow(list, "Missing information", chips(s.missing, "warn"));
    if (s.written_by) dlRow(list, "Written by", h("span", { class: "small muted", text: s.written_by }));
    if (!list.childElementCount) list.append(h("dd", { text: "No summary yet." }));
    $("summary-body").replaceChildren(list);
  }

  function renderTranscript(messages) {
    const items = messages.map((m) => {
      const speaker = m.speaker || "assistant";
      const label =
        speaker === "note"
          ? `Internal note${m.author ? ` · ${m.author}` : ""}`
          : speaker === "agent"
            ? `${m.author || "Agent"} (agent)`
            : speaker === "customer"
              ? "Customer"
              : "Assistant";
      const cites = (m.citations || []).map((c) => h("li", {}, link(c.url, `[${c.n}] ${c.title}`)));
      return h(
        "li",
        { class: speaker, "data-speaker": speaker },
        h("div", { class: "meta" }, h("strong", { text: label }), h("span", { text: when(m.created_at) }),
          m.kind && speaker === "assistant" ? h("span", { text: m.kind }) : null),
        speaker === "customer" ? h("div", { class: "text", text: m.text || "" }) : markdown(m.html, m.text),
        cites.length ? h("ol", { class: "cites" }, cites) : null,
      );
    });
    $("transcript-list").replaceChildren(...items);
  }

  function renderTags(tags) {
    $("tags").replaceChildren(
      ...tags.map((tag) =>
        h("li", { class: "chip" }, tag,
          h("button", { type: "button", "aria-label": `Remove tag ${tag}`, text: "×", onclick: () => changeTags([], [tag]) })),
      ),
    );
  }

  // ------------------------------------------------------------------ actions

  async function act(fn, done) {
    show($("case-error"), "");
    show($("case-status"), "");
    try {
      const result = await fn();
      if (done) show($("case-status"), done);
      return result;
    } catch (error) {
      if (error.status === 409) {
        $("claim-warning").dataset.sticky = "1";
        show($("claim-warning"), error.message);
      } else show($("case-error"), error.message);
      return null;
    }
  }

  $("claim").addEventListener("click", async () => {
    const row = await act(() => api(`/v1/agent/cases/${current.id}/claim`, { method: "POST" }), "You claimed this case.");
    if (row) {
      delete $("claim-warning").dataset.sticky;
      await loadCase(current.id, false);
    } else await loadCase(current.id, false).catch(() => {});
  });

  $("release").addEventListener("click", async () => {
    const row = await act(() => api(`/v1/agent/cases/${current.id}/release`, { method: "POST" }), "Released: the case is back in the queue.");
    if (row) await loadCase(current.id, false);
  });

  function placeholders(text) {
    return [...String(text).matchAll(PLACEHOLDER)];
  }

  /** Mirror the reply with its `{{placeholders}}` highlighted; true when none remain. */
  function checkPlaceholders() {
    const area = $("reply-text");
    const found = placeholders(area.value);
    area.classList.toggle("invalid", found.length > 0);
    area.setAttribute("aria-invalid", found.length ? "true" : "false");
    $("placeholder-warning").hidden = !found.length;
    if (!found.length) return true;
    const names = [...new Set(found.map((m) => m[0]))].join(", ");
    $("placeholder-message").textContent = `Fill in ${names} before sending: the customer would see it as is.`;
    const preview = $("reply-preview");
    preview.replaceChildren();
    let last = 0;
    for (const m of found) {
      preview.append(area.value.slice(last, m.index), h("mark", { text: m[0] }));
      last = m.index + m[0].length;
    }
    preview.append(area.value.slice(last));
    return false;
  }

  function selectFirstPlaceholder() {
    const area = $("reply-text");
    const [first] = placeholders(area.value);
    if (!first) return;
    area.focus();
    area.setSelectionRange(first.index, first.index + first[0].length);
  }

  $("reply-text").addEventListener("input", checkPlaceholders);

  // The customer's chat shows "An agent is typing…" for a few seconds after each ping: one
  // ping every 3 s of typing is enough, and only on a case this agent holds.
  let typedAt = 0;
  $("reply-text").addEventListener("input", () => {
    const now = Date.now();
    if (!current || !me || current.claimed_by !== me.name || now - typedAt < 3000) return;
    typedAt = now;
    api(`/v1/agent/cases/${current.id}/typing`, { method: "POST" }).catch(() => {});
  });

  $("reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const area = $("reply-text");
    const text = area.value.trim();
    if (!text) {
      show($("case-error"), "Write a reply first.");
      area.focus();
      return;
    }
    if (!checkPlaceholders()) {
      selectFirstPlaceholder();
      return; // refused: the highlighted placeholder must be replaced first
    }
    $("send-reply").disabled = true;
    const sent = await act(
      () => api(`/v1/agent/cases/${current.id}/reply`, {
        method: "POST",
        body: { text, wait_for_customer: $("wait-customer").checked },
      }),
      "Reply sent to the customer.",
    );
    $("send-reply").disabled = false;
    if (sent) {
      area.value = "";
      checkPlaceholders();
      await loadCase(current.id, false);
    }
  });

  async function loadSavedReplies(id) {
    const select = $("saved");
    select.replaceChildren(h("option", { value: "", text: "Insert a saved reply…" }));
    select.disabled = true;
    delete select.dataset.loaded;
    try {
      const data = await api(`/v1/agent/cases/${id}/saved-replies`);
      for (const reply of data.replies || []) {
        const needs = reply.unfilled && reply.unfilled.length ? ` (fill in: ${reply.unfilled.join(", ")})` : "";
        const option = h("option", { value: String(reply.id), text: `${reply.title}${needs}` });
        option.dataset.text = reply.text;
        select.append(option);
      }
      select.disabled = select.options.length < 2;
    } catch (error) {
      show($("case-error"), `Saved replies are unavailable: ${error.message}`);
    } finally {
      select.dataset.loaded = String(id);
    }
  }

  $("saved").addEventListener("change", () => {
    const select = $("saved");
    const option = select.selectedOptions[0];
    if (!option || !option.value) return;
    const area = $("reply-text");
    const start = area.selectionStart ?? area.value.length;
    const end = area.selectionEnd ?? area.value.length;
    const before = area.value.slice(0, start);
    const gap = before && !/\s$/.test(before) ? "\n\n" : "";
    area.setRangeText(gap + option.dataset.text, start, end, "end");
    select.value = "";
    checkPlaceholders();
    if (placeholders(area.value).length) selectFirstPlaceholder();
    else area.focus();
  });

  $("note-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("note-text").value.trim();
    if (!text) return $("note-text").focus();
    const note = await act(() => api(`/v1/agent/cases/${current.id}/notes`, { method: "POST", body: { text } }), "Note added.");
    if (note) {
      $("note-text").value = "";
      await loadCase(current.id, false);
    }
  });

  async function changeTags(add, remove) {
    const row = await act(() => api(`/v1/agent/cases/${current.id}/tags`, { method: "POST", body: { add, remove } }));
    if (row) {
      current.tags = row.tags || [];
      renderTags(current.tags);
    }
    return row;
  }

  $("tag-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const tag = $("tag-input").value.trim();
    if (!tag) return $("tag-input").focus();
    if (await changeTags([tag], [])) $("tag-input").value = "";
  });

  $("resolve-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const resolution = $("resolution").value.trim();
    if (!resolution) {
      show($("case-error"), "Describe the resolution: what fixed it for the customer.");
      return $("resolution").focus();
    }
    const row = await act(
      () => api(`/v1/agent/cases/${current.id}/resolve`, { method: "POST", body: { resolution } }),
      "Case resolved.",
    );
    if (row) await loadCase(current.id, false);
  });

  $("propose").addEventListener("click", async () => {
    const row = await act(
      () => api(`/v1/agent/cases/${current.id}/kb/propose`, { method: "POST" }),
      "Proposed for the help center.",
    );
    if (row) await loadCase(current.id, false);
  });

  // ------------------------------------------------------------------ keyboard

  const VIEW_KEYS = { m: "mine", u: "unassigned", a: "all", 1: "mine", 2: "unassigned", 3: "all" };
  let gAt = 0; // when `g` was pressed: a view letter may follow

  const toggleHelp = () => ($("help").open ? $("help").close() : $("help").showModal());
  $("help-open").addEventListener("click", toggleHelp);
  $("help-close").addEventListener("click", () => $("help").close());

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const typing = target.isContentEditable || /^(TEXTAREA|SELECT)$/.test(target.tagName) ||
      (target.tagName === "INPUT" && !/^(checkbox|radio|button|submit)$/.test(target.type));
    if (event.key === "Escape") {
      if (typing) target.blur(); // leaves the box; an open dialog closes itself on Escape
      return;
    }
    if (typing) return; // every other key is the agent's text
    const onQueue = Boolean(me) && !$("queue").hidden && !$("queue-list").hidden;
    const onCase = Boolean(me) && Boolean(current) && !$("case").hidden;
    const afterG = Date.now() - gAt < 1500;
    gAt = 0;
    let done = true;
    if (event.key === "?") toggleHelp();
    else if ($("help").open || !me) done = false;
    else if (event.key === "g") gAt = Date.now();
    else if (event.key === "/") findCases();
    else if ((afterG && /^[mua]$/.test(event.key)) || /^[123]$/.test(event.key)) chooseView(VIEW_KEYS[event.key]);
    else if (onQueue && (event.key === "j" || event.key === "k")) moveSelection(event.key === "j" ? 1 : -1);
    else if (onQueue && event.key === "Enter" && markSelected() && !target.closest("a, button, summary")) {
      location.hash = `#case-${selected}`;
    } else if (onCase && event.key === "c" && !$("claim").disabled) $("claim").click();
    else if (onCase && event.key === "r") $("reply-text").focus();
    else done = false;
    if (done) event.preventDefault(); // `r` would otherwise type an r into the reply it focused
  });

  /** `/`: the search box, on the queue view (a case view goes back to it first). */
  function findCases() {
    if (!$("case").hidden) location.hash = "#queue"; // shows the queue, and keeps this focus
    $("case").hidden = true;
    $("queue").hidden = false;
    search.focus();
  }

  // ------------------------------------------------------------------ start

  if (key) {
    signIn(key).catch((error) => signOut(error.message));
  } else {
    $("key").focus();
  }
})();
