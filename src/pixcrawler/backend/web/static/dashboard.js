// PixCrawler dashboard: live progress, keyboard review and form checks on top of pages that
// work without a script. Talks to /api/v1 with the session's token as the Bearer.
"use strict";

function sessionToken() {
  const entry = document.cookie.split("; ").find((part) => part.startsWith("pixcrawler_token="));
  return entry ? decodeURIComponent(entry.slice("pixcrawler_token=".length)) : "";
}

async function callApi(method, path) {
  const response = await fetch(path, {
    method, headers: { Authorization: `Bearer ${sessionToken()}`, Accept: "application/json" },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = (body.error && body.error.message) || `HTTP ${response.status}`;
    throw new Error(message);
  }
  return body;
}

// ---- Job page: progress over Server-Sent Events -------------------------------------------
function cell(tag, text, className) {
  const element = document.createElement(tag);
  if (text !== undefined) element.textContent = text;
  if (className) element.className = className;
  return element;
}

function classRow(cls, perClass) {
  const kept = cls.counts.kept || 0;
  const row = document.createElement("tr");
  row.dataset.label = cls.label;
  const name = cell("th", cls.label);
  name.scope = "row";
  row.append(name, cell("td", String(kept), "kept"));
  const fill = cell("td");
  if (perClass) {
    const bar = document.createElement("progress");
    bar.max = perClass;
    bar.value = Math.min(kept, perClass);
    bar.setAttribute("aria-label", `${cls.label} filled`);
    fill.append(bar);
  } else {
    fill.textContent = "—";
  }
  const others = Object.keys(cls.counts).filter((k) => k !== "kept").sort()
    .map((k) => `${k} ${cls.counts[k]}`).join(", ");
  row.append(fill, cell("td", others || "—", "others"));
  return row;
}

function showProgress(section, snapshot) {
  const percent = Math.round(snapshot.fraction * 100);
  document.getElementById("overall").value = percent;
  document.getElementById("overall-text").textContent = `${percent} %`;
  const status = document.getElementById("job-status");
  status.textContent = snapshot.job.status;
  status.className = `status status-${snapshot.job.status}`;
  const perClass = Number(section.dataset.perClass) || 0;
  const rows = snapshot.classes.map((cls) => classRow(cls, perClass));
  document.getElementById("class-rows").replaceChildren(...rows);
}

function followProgress() {
  const section = document.getElementById("progress");
  if (!section || section.dataset.live !== "yes" || !window.EventSource) return;
  const note = document.getElementById("live-note");
  const source = new EventSource(section.dataset.events);
  source.addEventListener("progress", (event) => {
    section.dataset.connected = "yes";
    showProgress(section, JSON.parse(event.data));
  });
  source.addEventListener("end", (event) => {
    source.close();
    const ended = JSON.parse(event.data).status;
    note.replaceChildren(`The job is ${ended}. `);
    const link = cell("a", "Show the final funnel and downloads");
    link.href = window.location.pathname;
    note.append(link);
  });
  source.onerror = () => { note.textContent = "Live updates paused; retrying…"; };
}

// ---- Review page: keyboard and in-place reject / restore ----------------------------------
function setupReview() {
  const form = document.getElementById("review-form");
  if (!form) return;
  const tiles = Array.from(form.querySelectorAll(".tile[data-id]"));
  const status = document.getElementById("review-status");
  let current = -1;

  function move(to) {
    if (!tiles.length) return;
    if (current >= 0) tiles[current].classList.remove("current");
    current = Math.max(0, Math.min(tiles.length - 1, to));
    tiles[current].classList.add("current");
    tiles[current].focus();
  }

  async function review(action) {
    const selected = tiles.filter((tile) => tile.querySelector("input[name=image]:checked"));
    const targets = selected.length ? selected : (current >= 0 ? [tiles[current]] : []);
    if (!targets.length) {
      status.textContent = "Press j to choose an image first.";
      return;
    }
    const wanted = action === "reject" ? "yes" : "no";
    const todo = targets.filter((t) => t.querySelector("input[name=image]") && t.dataset.rejected !== wanted);
    for (const tile of todo) {
      try {
        const image = await callApi("POST", `${form.dataset.api}/${tile.dataset.id}/${action}`);
        tile.dataset.rejected = image.rejected ? "yes" : "no";
        tile.classList.toggle("rejected", image.rejected);
        tile.querySelector(".state").textContent = image.rejected ? "rejected" : image.status;
        tile.querySelector("input[name=image]").checked = false;
      } catch (error) {
        status.textContent = `Image ${tile.dataset.id}: ${error.message}`;
        return;
      }
    }
    const done = action === "reject" ? "rejected" : "restored";
    status.textContent = `${todo.length} image${todo.length === 1 ? "" : "s"} ${done}.`;
  }

  tiles.forEach((tile, index) => tile.addEventListener("click", (event) => {
    if (event.target.tagName !== "A") move(index);
  }));
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName) && target.type !== "checkbox";
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "j") move(current + 1);
    else if (event.key === "k") move(current - 1);
    else if (event.key === "x") review("reject");
    else if (event.key === "u") review("restore");
    else if (event.key === " " && target.classList && target.classList.contains("tile")) {
      const box = target.querySelector("input[name=image]");
      if (box) box.checked = !box.checked;
    } else return;
    event.preventDefault();
  });
}

// ---- New dataset form: the server's rules, checked before submitting ----------------------
function setupDatasetForm() {
  const form = document.getElementById("dataset-form");
  if (!form) return;
  const showSource = () => {
    const source = form.querySelector("input[name=source]:checked").value;
    form.querySelectorAll("[data-source]").forEach((part) => {
      part.classList.toggle("hidden", part.dataset.source !== source);
    });
  };
  form.querySelectorAll("input[name=source]").forEach((radio) => radio.addEventListener("change", showSource));
  showSource();
  form.addEventListener("submit", (event) => {
    const problems = checkDatasetForm(form);
    form.querySelectorAll(".client-error").forEach((element) => element.remove());
    form.querySelectorAll("[aria-invalid]").forEach((element) => element.removeAttribute("aria-invalid"));
    if (!problems.length) return;
    event.preventDefault();
    for (const [id, message] of problems) {
      const field = document.getElementById(id);
      const note = cell("p", message, "error field-error client-error");
      note.id = `${id}-client-error`;
      note.setAttribute("role", "alert");
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", note.id);
      field.after(note);
    }
    document.getElementById(problems[0][0]).focus();
  });
}

function checkDatasetForm(form) {
  const problems = [];
  const value = (id) => document.getElementById(id).value.trim();
  const ticked = (name) => form.querySelectorAll(`input[name=${name}]:checked`).length;
  if (!value("project")) problems.push(["project", "name a project (a new name creates it)"]);
  if (!value("name")) problems.push(["name", "give the dataset a name"]);
  const source = form.querySelector("input[name=source]:checked").value;
  if (source === "keywords") {
    const keywords = value("keywords").split("\n").map((k) => k.trim()).filter(Boolean);
    if (!keywords.length) problems.push(["keywords", "enter at least one keyword, one per line"]);
    if (!ticked("engines")) problems.push(["engines", "choose at least one search engine"]);
  } else if (!document.getElementById("url_list").files.length) {
    problems.push(["url_list", "choose a URL list file to upload"]);
  }
  const perClass = value("per_class");
  const max = Number(form.dataset.maxPerClass);
  if (!/^\d+$/.test(perClass) || Number(perClass) < 1 || Number(perClass) > max) {
    problems.push(["per_class", `images per class must be a whole number from 1 to ${max}`]);
  }
  if (!ticked("label_formats")) problems.push(["label_formats", "choose at least one label format"]);
  return problems;
}

document.addEventListener("DOMContentLoaded", () => {
  followProgress();
  setupReview();
  setupDatasetForm();
});
