// The page: Pyodide runs convcalc (the installed package, shipped beside this file as convcalc.zip);
// convcalc.page answers with JSON. The form's state lives in the URL fragment, so a link reproduces the table.
import { loadPyodide } from "./pyodide.mjs";

const $ = (id) => document.getElementById(id);
const form = $("form");
let py = null;
let page = null;
let pending = null;

function stage(step, text) {
  $("progress").value = step;
  $("stage").textContent = text;
}

function state() {
  const data = new FormData(form);
  const out = {};
  for (const key of ["source", "model", "spec", "input", "layout", "batch", "dtype", "depth"]) {
    out[key] = (data.get(key) ?? "").toString();
  }
  return out;
}

function toFragment(s) {
  const keep = new URLSearchParams();
  if (s.source === "model") keep.set("model", s.model); else keep.set("spec", s.spec);
  for (const key of ["input", "layout", "dtype", "depth"]) if (s[key]) keep.set(key, s[key]);
  if (s.batch && s.batch !== "1") keep.set("batch", s.batch);
  return "#" + keep.toString().replaceAll("+", "%20");
}

function fromFragment() {
  const given = new URLSearchParams(location.hash.slice(1));
  if (given.has("spec")) {
    form.source.value = "text";
    $("spec").value = given.get("spec");
  } else if (given.has("model")) {
    form.source.value = "model";
    $("model").value = given.get("model");
  }
  for (const key of ["input", "layout", "batch", "dtype", "depth"]) if (given.has(key)) $(key).value = given.get(key);
}

function showError(answer) {
  const box = $("error");
  const where = answer.line ? `line ${answer.line}${answer.column ? `, column ${answer.column}` : ""}: ` : "";
  box.textContent = answer.error.startsWith("line ") ? answer.error : where + answer.error;
  box.hidden = false;
  if (answer.line && form.source.value === "text") {  // select the line the error names
    const lines = $("spec").value.split("\n");
    const start = lines.slice(0, answer.line - 1).reduce((n, l) => n + l.length + 1, 0);
    $("spec").setSelectionRange(start, start + (lines[answer.line - 1] ?? "").length);
  }
}

function compute() {
  if (!page) return;
  const s = state();
  history.replaceState(null, "", toFragment(s));
  const started = performance.now();
  const answer = JSON.parse(page.compute(JSON.stringify(s)));
  const took = performance.now() - started;
  $("timing").textContent = `computed in ${took.toFixed(1)} ms`;
  document.body.dataset.lastMs = took.toFixed(2);
  if (!answer.ok) {
    showError(answer);
    $("result").classList.add("stale");
    return;
  }
  $("error").hidden = true;
  $("result").classList.remove("stale");
  $("result").hidden = false;
  $("title").textContent = answer.title;
  $("table").innerHTML = answer.table;
  $("footer").textContent = answer.footer.join("\n");
  shown = {};
  setTimeout(showPane, 0);  // the table first; the drawing or the comparison once it is on screen
  const explained = new Set(answer.explains);
  for (const tr of $("table").querySelectorAll("tbody tr")) {
    const index = Number(tr.cells[0].textContent.trim());
    if (!explained.has(index)) continue;
    tr.classList.add("explains");
    tr.tabIndex = 0;
    tr.addEventListener("click", () => toggleWorking(tr, index));
    tr.addEventListener("keydown", (e) => { if (e.key === "Enter") toggleWorking(tr, index); });
  }
}

let shown = {};  // the panes made for the table on screen

function showPane() {
  const which = document.querySelector(".tabs button.on").dataset.tab;
  if (which === "answers" || shown[which]) return;
  const answer = JSON.parse(page.pane(JSON.stringify(state()), which));
  $(which).innerHTML = answer.ok ? answer.html : "";
  if (!answer.ok) $(which).textContent = answer.error;
  shown[which] = true;
}

function toggleWorking(tr, index) {
  const next = tr.nextElementSibling;
  if (next && next.classList.contains("working")) { next.remove(); return; }
  const answer = JSON.parse(page.explain(JSON.stringify(state()), index));
  const row = document.createElement("tr");
  row.className = "working";
  const cell = row.insertCell();
  cell.colSpan = tr.cells.length;
  if (answer.ok) cell.innerHTML = answer.html; else cell.textContent = answer.error;
  tr.after(row);
}

function schedule() {
  clearTimeout(pending);
  pending = setTimeout(compute, 200);
}

function checkAnswers() {
  const answer = JSON.parse(page.check($("answers-text").value));
  const list = $("marks");
  list.replaceChildren();
  if (!answer.ok) {
    $("tally").textContent = answer.error;
    return;
  }
  $("tally").textContent = answer.tally;
  for (const mark of answer.marks) {
    const item = document.createElement("li");
    item.className = mark.verdict;
    item.textContent = mark.text;
    list.append(item);
  }
}

function tabs() {
  for (const button of document.querySelectorAll(".tabs button")) {
    button.addEventListener("click", () => {
      for (const other of document.querySelectorAll(".tabs button")) other.classList.toggle("on", other === button);
      for (const id of ["drawing", "compare", "answers"]) $(id).hidden = id !== button.dataset.tab;
      showPane();
    });
  }
}

async function start() {
  const began = performance.now();
  stage(1, "loading the Python runtime (Pyodide, about 12 MB the first time)…");
  py = await loadPyodide({ indexURL: new URL(".", import.meta.url).href });
  stage(2, "loading convcalc…");
  const archive = await (await fetch("convcalc.zip")).arrayBuffer();
  py.unpackArchive(archive, "zip", { extractDir: "/home/pyodide/site" });
  py.runPython("import sys; sys.path.insert(0, '/home/pyodide/site')");
  stage(3, "starting convcalc…");
  page = py.pyimport("convcalc.page");
  $("version").textContent = "convcalc " + py.runPython("import convcalc; convcalc.__version__");
  for (const m of JSON.parse(page.models())) {
    const option = document.createElement("option");
    option.value = m.name;
    option.textContent = `${m.name} (${m.input})`;
    $("model").append(option);
  }
  $("model").value = "alexnet";
  fromFragment();
  stage(4, `ready in ${((performance.now() - began) / 1000).toFixed(1)} s`);
  document.body.classList.add("ready");
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  $("spec").addEventListener("focus", () => { form.source.value = "text"; });
  $("model").addEventListener("focus", () => { form.source.value = "model"; });
  window.addEventListener("hashchange", () => { fromFragment(); compute(); });
  $("check").addEventListener("click", checkAnswers);
  tabs();
  compute();
}

start().catch((error) => {
  $("stage").textContent = `convcalc could not start: ${error.message ?? error}`;
  document.body.classList.add("failed");
});
