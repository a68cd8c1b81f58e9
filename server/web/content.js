/* answerdesk admin content: the questions the knowledge base did not answer (content gaps), a
   draft article from the agents' resolutions, publishing it (then following the re-index that
   makes it citable), and how each article serves customers. Plain JS, no dependencies, no build
   step. Loaded before admin.js, which calls window.answerdeskContent({ api, h, show, reindexed })
   and, after sign-in, .load(). Server text is only ever set with textContent: never innerHTML;
   the draft is edited as plain Markdown text, never rendered. */
(() => {
  "use strict";
  const POLL_MS = 500;
  const AREA = /^[a-z0-9][a-z0-9-]{0,40}$/; // as the server checks it (server/articles.py)
  const $ = (id) => document.getElementById(id);

  const known = (x) => typeof x === "number" && Number.isFinite(x);
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const longDay = (day) =>
    new Date(`${day}T00:00:00Z`).toLocaleDateString("en-GB", {
      timeZone: "UTC",
      day: "numeric",
      month: "short",
      year: "numeric",
    });

  // As the dashboard writes a share: one decimal under 10 %, whole numbers above.
  function percent(x) {
    if (!known(x)) return "—";
    const p = x * 100;
    return p > 0 && p < 10 ? `${(Math.round(p * 10) / 10).toFixed(1)} %` : `${Math.round(p)} %`;
  }

  // Only an absolute http(s) address becomes a link: never javascript:, data: or a relative path.
  function webAddress(url) {
    if (!url) return "";
    try {
      const parsed = new URL(url);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : "";
    } catch {
      return "";
    }
  }

  window.answerdeskContent = ({ api, h, show, reindexed }) => {
    let range = null; // the gaps' range on screen: a draft is asked over the same one
    let following = false; // a publish's re-index is being followed: no second publish meanwhile
    let justPublished = ""; // its document id: marked in the table of article use
    let askedGaps = 0;
    let askedUsage = 0;
    const post = (path, body) => api(path, "POST", "application/json", body);

    async function load() {
      show($("content-error"), "");
      await Promise.all([loadGaps(), loadUsage()]);
    }

    // ---------------------------------------------------------------- content gaps

    async function loadGaps() {
      const ticket = ++askedGaps;
      $("gaps").setAttribute("aria-busy", "true");
      try {
        const found = await api("/v1/admin/gaps");
        if (ticket !== askedGaps) return;
        range = { since: found.since, until: found.until };
        $("gaps-range").textContent =
          `${longDay(found.since)} – ${longDay(found.until)}: ` +
          `${plural(found.questions, "unanswered question")} in ${plural(found.gaps.length, "gap")}`;
        show(
          $("gaps-empty"),
          found.gaps.length
            ? ""
            : "No content gaps in this range: no question was handed off for lack of content " +
                "or marked unhelpful.",
        );
        $("gaps").replaceChildren(...found.gaps.map(gapItem));
      } catch (error) {
        if (ticket === askedGaps) show($("content-error"), error.message);
      } finally {
        if (ticket === askedGaps) $("gaps").removeAttribute("aria-busy");
      }
    }

    function gapItem(gap, index) {
      const button = h(
        "button",
        { type: "button", class: "ghost small" },
        "Draft an article",
        h("span", { class: "sr-only", text: ` for “${gap.representative}”` }),
      );
      button.addEventListener("click", () => draft(gap, button));
      const facts = [
        h("li", { class: "chip", text: plural(gap.conversations, "conversation") }),
        h("li", {
          class: gap.resolved ? "chip" : "chip warn",
          text: gap.resolved ? `${gap.resolved} with an agent's resolution` : "No agent's resolution yet",
        }),
      ];
      if (gap.unhelpful) facts.push(h("li", { class: "chip", text: `${gap.unhelpful} marked unhelpful` }));
      return h(
        "li",
        { class: "card gap", "data-gap": gap.id },
        h(
          "div",
          { class: "gap-head" },
          h("span", { class: "gap-rank", "aria-hidden": "true", text: String(index + 1) }),
          h("h4", { text: gap.representative }),
        ),
        h("ul", { class: "chips", "aria-label": "In numbers" }, facts),
        h("p", { class: "muted small flush", text: "In the customers' words:" }),
        h(
          "ul",
          { class: "gap-examples" },
          gap.examples.map((example) => h("li", { text: example })),
        ),
        h("div", { class: "actions" }, button),
      );
    }

    async function draft(gap, button) {
      show($("content-error"), "");
      button.disabled = true;
      try {
        const body = { conversation_ids: gap.conversation_ids, ...(range || {}) };
        openEditor(await post("/v1/admin/gaps/draft", body));
      } catch (error) {
        show($("content-error"), error.message);
      } finally {
        button.disabled = false;
      }
    }

    // ---------------------------------------------------------------- the editor

    function openEditor(article) {
      const by =
        article.written_by === "extractive"
          ? "extraction: the agents' own words, no language model"
          : article.written_by;
      $("draft-note").textContent =
        `Built from ${plural(article.sources, "agent resolution")} (written by ${by}).` +
        (article.sources ? " Check it before publishing." : " Write the answer in the body.");
      $("draft-title").value = article.title;
      $("draft-area").value = "";
      $("draft-body").value = article.body;
      for (const id of ["draft-title", "draft-area", "draft-body"]) $(id).removeAttribute("aria-invalid");
      show($("editor-error"), "");
      $("overwrite").hidden = true;
      $("publish").disabled = following;
      $("editor").hidden = false;
      $("editor-h").focus();
    }

    function closeEditor() {
      $("editor").hidden = true;
      show($("editor-error"), "");
      $("overwrite").hidden = true;
    }

    // The editor's article, or null after saying (and focusing) what is wrong with it.
    function article() {
      const fields = {
        title: $("draft-title").value.trim(),
        product_area: $("draft-area").value.trim(),
        body: $("draft-body").value.trim(),
      };
      const problems = [
        ["draft-title", !fields.title, "The article needs a title."],
        ["draft-area", fields.product_area && !AREA.test(fields.product_area),
          "A product area is lower-case letters, digits and dashes (e.g. integrations)."],
        ["draft-body", !fields.body, "The article needs a body."],
      ]; // prettier-ignore
      for (const [id, wrong] of problems) {
        if (wrong) $(id).setAttribute("aria-invalid", "true");
        else $(id).removeAttribute("aria-invalid");
      }
      const problem = problems.find(([, wrong]) => wrong);
      if (!problem) return fields;
      show($("editor-error"), problem[2]);
      $(problem[0]).focus();
      return null;
    }

    async function publish(overwrite) {
      const fields = article();
      if (!fields || following) return;
      show($("editor-error"), "");
      $("overwrite").hidden = true;
      // The last publication's "Live" must not stand for this one while it is being sent.
      $("published").hidden = true;
      $("publish-status").textContent = "";
      for (const id of ["publish", "overwrite", "cancel"]) $(id).disabled = true;
      let published;
      let refused = null;
      try {
        published = await post("/v1/admin/articles", { ...fields, overwrite });
      } catch (error) {
        refused = error;
      }
      for (const id of ["publish", "overwrite", "cancel"]) $(id).disabled = false;
      if (refused) {
        show($("editor-error"), refused.message);
        $("overwrite").hidden = refused.status !== 409; // the file exists: offer to replace it
        if (refused.status === 409) $("overwrite").focus();
        return;
      }
      closeEditor();
      justPublished = published.document_id;
      following = true;
      $("publish").disabled = true;
      try {
        await follow(published);
      } finally {
        following = false;
        $("publish").disabled = false;
      }
      await loadUsage();
    }

    // ---------------------------------------------------------------- the re-index after publishing

    async function follow({ message, document_id: documentId, path, job }) {
      const bar = $("publish-progress");
      const status = $("publish-status");
      $("published-message").textContent = message;
      $("published-where").replaceChildren("Document ", h("code", { text: documentId }), ` in ${path}`);
      $("published").classList.remove("live", "failed");
      bar.max = 1;
      bar.value = 0;
      bar.hidden = !job;
      status.textContent = job ? "Re-indexing…" : "";
      $("published").hidden = false;
      $("published").focus();
      if (!job) return;
      let state;
      try {
        for (;;) {
          state = await api(`/v1/admin/reindex/${encodeURIComponent(job)}`);
          const { done, total } = state.progress;
          bar.max = Math.max(total, 1);
          bar.value = done;
          if (state.status === "failed") throw new Error(state.error || "The re-index failed.");
          if (state.status !== "running") break;
          status.textContent = total ? `Re-indexing… ${done} of ${total}` : "Re-indexing…";
          await wait(POLL_MS);
        }
      } catch (error) {
        $("published").classList.add("failed");
        status.textContent = `Not live: ${error.message}`;
        return;
      }
      bar.value = bar.max;
      if (state.result && state.result.decision === "held") {
        $("published").classList.add("failed");
        status.textContent =
          "Not live yet: the golden set held the re-index back (see Re-index the knowledge base).";
      } else {
        $("published").classList.add("live");
        status.textContent = "Live: the assistant can now cite it.";
      }
      if (reindexed) await reindexed();
    }

    // ---------------------------------------------------------------- article use

    async function loadUsage() {
      const ticket = ++askedUsage;
      try {
        const use = await api("/v1/admin/articles/usage");
        if (ticket !== askedUsage) return;
        $("usage-note").textContent =
          `${longDay(use.since)} – ${longDay(use.until)}. Stale: not updated for ` +
          `${use.stale_after_days} days and cited by answers that failed; listed first. ` +
          "Resolution rate: of the conversations citing it, the share not handed off or marked unhelpful.";
        const rows = use.articles.slice().sort((a, b) => Number(b.stale) - Number(a.stale)).map(usageRow);
        if (!rows.length) {
          rows.push(h("tr", {}, h("td", { colspan: 8, class: "muted", text: "No articles or FAQs in the index." })));
        }
        $("usage-body").replaceChildren(...rows);
      } catch (error) {
        if (ticket === askedUsage) show($("content-error"), error.message);
      }
    }

    function usageRow(a) {
      const href = webAddress(a.url);
      const title = href
        ? h("a", { href, target: "_blank", rel: "noopener noreferrer", text: a.title || a.document_id })
        : h("span", { text: a.title || a.document_id });
      return h(
        "tr",
        { class: a.stale ? "stale" : "", "data-document": a.document_id },
        h(
          "th",
          { scope: "row" },
          title,
          a.stale ? [" ", h("span", { class: "pill stale", text: "Stale" })] : [],
          a.document_id === justPublished ? [" ", h("span", { class: "pill s-claimed", text: "Just published" })] : [],
          h("span", { class: "doc-id muted small", text: `${a.kind} · ${a.document_id}` }),
        ),
        [a.citations, a.conversations, a.helpful, a.unhelpful, a.failed].map((n) =>
          h("td", { class: "num", text: String(n) }),
        ),
        h("td", { class: "num", text: percent(a.resolution_rate) }),
        h("td", { class: "nowrap", text: a.updated_at ? a.updated_at.slice(0, 10) : "—" }),
      );
    }

    // ---------------------------------------------------------------- wiring

    $("editor").addEventListener("submit", (event) => {
      event.preventDefault();
      publish(false);
    });
    $("overwrite").addEventListener("click", () => publish(true));
    $("cancel").addEventListener("click", () => {
      closeEditor();
      $("content-h").focus();
    });
    $("content-refresh").addEventListener("click", load);

    return { load };
  };
})();
