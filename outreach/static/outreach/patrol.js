// Patrol log for a shift without signal (rule P2). Every entry gets a client UUID and goes into a queue in
// localStorage; the queue is sent in order when the phone is online. The server answers 201 (saved) or
// 409 (already saved: a resend) — both remove the entry; a 400/422 is shown and kept for correction;
// a network error or 5xx keeps it for the next try. Nothing is ever saved twice.
(function () {
  var root = document.getElementById("patrol-app");
  if (!root) return;
  var who = root.dataset.user;
  var QKEY = "guitu-outreach-queue-" + who, PKEY = "guitu-outreach-patrol-" + who;
  var csrf = root.dataset.csrf;
  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = Math.random() * 16 | 0; return (c === "x" ? r : (r & 0x3 | 0x8)).toString(16);
    });
  }
  function load(key, fallback) { try { return JSON.parse(localStorage.getItem(key)) || fallback; } catch (e) { return fallback; } }
  function save(key, value) { localStorage.setItem(key, JSON.stringify(value)); }
  function queue() { return load(QKEY, []); }
  function nowIso() { return new Date().toISOString(); }
  function render() {
    var q = queue(), patrol = load(PKEY, null);
    root.querySelector("[data-queue-count]").textContent = q.length;
    root.querySelector("[data-online]").textContent = navigator.onLine ? "在线" : "离线（记录保存在手机上，联网后自动上传）";
    root.querySelector("[data-start]").hidden = !!patrol;
    root.querySelector("[data-running]").hidden = !patrol;
    if (patrol) root.querySelector("[data-patrol-team]").textContent = patrol.team + "（" + new Date(patrol.started_at).toLocaleTimeString() + " 开始）";
    var errors = q.filter(function (i) { return i.error; }).map(function (i) { return "<li>" + i.label + "：" + i.error + "</li>"; });
    root.querySelector("[data-errors]").innerHTML = errors.join("");
  }
  function enqueue(item) { var q = queue(); q.push(item); save(QKEY, q); render(); sync(); }
  var syncing = false;
  function sync() {
    if (syncing || !navigator.onLine) return;
    var q = queue(); if (!q.length) return;
    var item = q[0]; syncing = true;
    fetch(item.url, {method: "POST", credentials: "same-origin",
                     headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
                     body: JSON.stringify(item.body)})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          var rest = queue();
          if (r.status === 201 || r.status === 200 || r.status === 409) { rest.shift(); }
          else if (r.status >= 400 && r.status < 500 && r.status !== 401 && r.status !== 403) {
            rest[0].error = data.message || "数据有误"; rest.push(rest.shift());
          } else { syncing = false; render(); return; }
          save(QKEY, rest); syncing = false; render();
          if (rest.length && !rest[0].error) sync();
        });
      })
      .catch(function () { syncing = false; render(); });
  }
  function fields(form) {
    var data = {};
    new FormData(form).forEach(function (v, k) {
      if (k === "hot_spots") { (data[k] = data[k] || []).push(v); } else if (v !== "") { data[k] = v; }
    });
    return data;
  }
  root.querySelector("[data-start-form]").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var d = fields(ev.target);
    var patrol = {client_uuid: uuid4(), team: d.team || "", route: d.route || "", started_at: nowIso(),
                  hot_spots: d.hot_spots || []};
    save(PKEY, patrol);
    enqueue({url: "/api/v1/outreach/patrols", body: patrol, label: "开始巡查"});
    ev.target.reset();
  });
  root.querySelector("[data-encounter-form]").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var patrol = load(PKEY, null); if (!patrol) return;
    var d = fields(ev.target);
    d.client_uuid = uuid4(); d.patrol_client_uuid = patrol.client_uuid; d.met_at = nowIso();
    if (d.age_guess) d.age_guess = parseInt(d.age_guess, 10);
    enqueue({url: "/api/v1/outreach/encounters", body: d, label: "发现人员 " + (d.place || "")});
    ev.target.reset();
    root.querySelector("[data-saved]").textContent = "已保存（" + new Date().toLocaleTimeString() + "）";
  });
  root.querySelector("[data-end]").addEventListener("click", function () {
    var patrol = load(PKEY, null); if (!patrol) return;
    var spots = Array.prototype.map.call(root.querySelectorAll("[data-end-spots] input:checked"), function (i) { return i.value; });
    enqueue({url: "/api/v1/outreach/patrols/" + patrol.client_uuid + "/end",
             body: {ended_at: nowIso(), hot_spots: spots}, label: "结束巡查"});
    localStorage.removeItem(PKEY); render();
  });
  root.querySelector("[data-sync]").addEventListener("click", function () {
    var q = queue().map(function (i) { delete i.error; return i; }); save(QKEY, q); sync();
  });
  window.addEventListener("online", function () { render(); sync(); });
  window.addEventListener("offline", render);
  setInterval(sync, 20000);
  render(); sync();
})();
