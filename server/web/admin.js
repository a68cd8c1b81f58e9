/* answerdesk admin console: plain JS, no dependencies, no build step.
   Server text is only ever set with textContent: never innerHTML. */
(() => {
  "use strict";
  const KEY_STORE = "answerdesk:admin-key";
  const POLL_MS = 1000;
  const $ = (id) => document.getElementById(id);
  let key = sessionStorage.getItem(KEY_STORE) || "";

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "class") el.className = value;
      else if (name === "text") el.textContent = value;
      else el.setAttribute(name, String(value));
    }
    for (const child of children.flat()) el.append(child);
    return el;
  }

  function show(el, text) {
    el.textContent = text || "";
    el.hidden = !text;
  }

  // A downloaded Blob saved under `name`, through a temporary link.
  function save(blob, name) {
    const url = URL.createObjectURL(blob);
    const link = h("a", { href: url, download: name, hidden: "" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  // The dashboard lives in dashboard.js (loaded first) and uses this file's helpers.
  const dashboard = window.answerdeskDashboard ? window.answerdeskDashboard({ api, h, show, save }) : null;
  const content = window.answerdeskContent ? window.answerdeskContent({ api, h, show, reindexed: refresh }) : null;
  const incidents = window.answerdeskIncidents ? window.answerdeskIncidents({ api, h, show }) : null;

  const fixed = (x) => (typeof x === "number" ? x.toFixed(3) : "—");
  const signed = (x) => (typeof x === "number" ? `${x >= 0 ? "+" : ""}${x.toFixed(3)}` : "—");

  // JSON by default; any other `accept` (a CSV download) resolves to a Blob. A `body` goes as JSON.
  async function api(path, method = "GET", accept = "application/json", body = undefined) {
    let res;
    const headers = { "X-API-Key": key, Accept: accept };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new Error("The answerdesk server cannot be reached. Is it running?");
    }
    if (res.ok) {
      if (res.status === 204) return null;
      return accept === "application/json" ? res.json() : res.blob();
    }
    let message = `The server answered ${res.status}.`;
    try {
      const payload = await res.json();
      if (payload && payload.error) message = payload.error.message;
    } catch {
      /* not JSON */
    }
    const error = new Error(message);
    error.status = res.status;
    throw error;
  }

  // ------------------------------------------------------------------ sign in

  async function signIn(candidate) {
    key = candidate;
    let me;
    try {
      me = await api("/v1/agent/me");
      if (me.role !== "admin") throw new Error("This key is an agent's: the admin console needs an admin key.");
    } catch (error) {
      key = "";
      sessionStorage.removeItem(KEY_STORE);
      throw error;
    }
    sessionStorage.setItem(KEY_STORE, key);
    $("me-name").textContent = me.name;
    $("who").hidden = false;
    $("login").hidden = true;
    $("dashboard").hidden = !dashboard;
    $("content").hidden = !content;
    $("incidents").hidden = !incidents;
    $("reindex").hidden = false;
    await Promise.all([
      dashboard ? dashboard.load() : null,
      content ? content.load() : null,
      incidents ? incidents.load() : null,
      refresh(),
    ]);
    $((dashboard ? "dashboard" : "reindex") + "-h").focus();
  }

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await signIn($("key").value.trim());
    } catch (error) {
      show($("login-error"), error.message);
    }
  });

  $("signout").addEventListener("click", () => {
    sessionStorage.removeItem(KEY_STORE);
    location.reload();
  });

  // ------------------------------------------------------------------ re-index

  async function refresh() {
    await Promise.all([showCandidate(), showHistory(), showEvals()]);
  }

  async function showCandidate() {
    let candidate = null;
    try {
      candidate = await api("/v1/admin/reindex/candidate");
    } catch (error) {
      if (error.status !== 404) show($("reindex-error"), error.message);
    }
    $("candidate").hidden = !candidate;
    if (!candidate) return;
    const s = candidate.sync;
    $("candidate-summary").textContent =
      `${s.added} added, ${s.updated} updated, ${s.deleted} deleted (${candidate.at}). ` +
      `The golden set (${candidate.golden}) got worse on ` +
      `${candidate.regressions.map((r) => r.metric).join(", ")}; the live index is unchanged.`;
    const rows = candidate.comparison
      .filter((r) => r.baseline !== null && r.now !== null)
      .map((r) =>
        h(
          "tr",
          { class: r.regressed ? "regressed" : "" },
          h("th", { scope: "row", text: r.metric }),
          h("td", { text: fixed(r.baseline) }),
          h("td", { text: fixed(r.now) }),
          h("td", { text: signed(r.change) }),
          h("td", { text: r.regressed ? "regressed" : "ok" }),
        ),
      );
    $("comparison-body").replaceChildren(...rows);
  }

  async function showHistory() {
    const { runs } = await api("/v1/admin/reindex/history");
    const rows = runs
      .slice()
      .reverse()
      .map((run) =>
        h(
          "tr",
          {},
          h("td", { text: run.at }),
          h("td", { text: run.decision }),
          h("td", { text: String(run.sync.added ?? "") }),
          h("td", { text: String(run.sync.updated ?? "") }),
          h("td", { text: String(run.sync.deleted ?? "") }),
          h("td", { text: run.regressions.map((r) => r.metric).join(", ") || "—" }),
        ),
      );
    $("history-body").replaceChildren(...rows);
  }

  async function showEvals() {
    const { runs } = await api("/v1/admin/evals");
    const rows = runs.map((run) => {
      const button = h("button", { type: "button", class: "ghost", text: "Download" });
      button.setAttribute("aria-label", `Download the report of the run at ${run.at}`);
      button.addEventListener("click", () => downloadReport(run.id, button));
      return h(
        "tr",
        {},
        h("td", { text: run.at }),
        h("td", { text: run.question_set.split("/").slice(-2).join("/") }),
        h("td", { text: String(run.cases) }),
        h("td", { text: fixed(run.metrics.self_service_rate) }),
        h("td", { text: fixed(run.metrics.handoff_recall) }),
        h("td", { text: fixed(run.metrics.auroc_answerable) }),
        h("td", { text: run.regressions.join(", ") || "—" }),
        h("td", {}, button),
      );
    });
    $("evals-body").replaceChildren(...rows);
  }

  async function downloadReport(run, button) {
    show($("evals-error"), "");
    button.disabled = true;
    try {
      const blob = await api(`/v1/admin/evals/${run}/report`, "GET", "text/html");
      save(blob, `answerdesk-eval-${run}.html`);
    } catch (error) {
      show($("evals-error"), error.message);
    } finally {
      button.disabled = false;
    }
  }

  async function follow(start) {
    show($("reindex-error"), "");
    for (const button of ["start", "promote", "discard"]) $(button).disabled = true;
    $("job").hidden = false;
    try {
      const { job } = await start();
      for (;;) {
        const state = await api(`/v1/admin/reindex/${job}`);
        const { done, total } = state.progress;
        $("job-progress").max = Math.max(total, 1);
        $("job-progress").value = done;
        if (state.status === "failed") throw new Error(state.error || "The re-index failed.");
        if (state.status === "done") {
          const decision = state.result && state.result.decision;
          $("job-status").textContent = decision
            ? `Done: ${decision === "held" ? "held back by the golden set" : decision}.`
            : "Done: the new index is live.";
          break;
        }
        $("job-status").textContent = total ? `Working… ${done} of ${total}` : "Working…";
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } catch (error) {
      show($("reindex-error"), error.message);
      $("job-status").textContent = "";
    } finally {
      for (const button of ["start", "promote", "discard"]) $(button).disabled = false;
      await refresh();
    }
  }

  $("start").addEventListener("click", () => follow(() => api("/v1/admin/reindex", "POST")));
  $("promote").addEventListener("click", () =>
    follow(() => api("/v1/admin/reindex/candidate/promote", "POST")),
  );
  $("discard").addEventListener("click", async () => {
    try {
      await api("/v1/admin/reindex/candidate", "DELETE");
      $("job").hidden = false;
      $("job-status").textContent = "Discarded: the live index is unchanged.";
    } catch (error) {
      show($("reindex-error"), error.message);
    }
    await refresh();
  });

  if (key) signIn(key).catch(() => sessionStorage.removeItem(KEY_STORE));
})();
