/* NPS widget: vanilla, no dependencies, rendered in a shadow DOM.
   Served minified by /widget.js; see docs/WIDGET.md. */
(function (w, d) {
  "use strict";
  var me = d.currentScript || d.querySelector("script[data-survey]");
  if (!me || w.__nps) return;
  w.__nps = 1;
  var ds = me.dataset, key = ds.survey, base = me.src.replace(/\/widget\.js(\?.*)?$/, "");
  var user = {}, mem = {}, cfg, host, root, $, ans, timer, busy, warned, inflight = {};

  function warn(m) {
    // One line at most: a broken survey must never flood the host's console.
    if (!warned) { warned = 1; console.warn("[nps] " + m); }
  }
  function ls(k, v) {
    // Storage may be missing or full (private mode): the widget goes on without it.
    try {
      if (v === undefined) return JSON.parse(localStorage.getItem("nps_" + k));
      localStorage.setItem("nps_" + k, JSON.stringify(v));
    } catch (e) {}
  }
  function rid() {
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.from(a, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }
  function post(b, k, path, body, ms) {
    // text/plain keeps it a "simple" CORS request: no preflight round trip.
    var ctl = new AbortController(), t = setTimeout(function () { ctl.abort(); }, ms || 5000);
    return fetch(b + "/w/" + k + "/" + path, {
      method: "POST", body: JSON.stringify(body), credentials: "omit", keepalive: true,
      headers: { "Content-Type": "text/plain" }, signal: ctl.signal
    }).then(function (r) {
      clearTimeout(t);
      if (!r.ok) { var e = Error("HTTP " + r.status); e.status = r.status; throw e; }
      return r.json();
    }, function (e) { clearTimeout(t); throw e; });
  }

  // Answers wait in localStorage until the server confirms them, so a network
  // failure or a page change never loses one; the client id makes resends idempotent.
  // Without storage the outbox lives in memory, for this page only.
  function box(v) {
    if (v) { mem = v; ls("outbox", v); }
    return ls("outbox") || mem;
  }
  function ship(id) {
    var e = box()[id];
    if (!e || inflight[id]) return;
    inflight[id] = 1;
    post(e.b, e.k, "answer", { token: e.t, id: id, score: e.s, comment: e.c, language: e.l }, 10000)
      .then(function () { return 1; }, function (x) {
        if (x.status >= 400 && x.status < 500 && x.status != 429) return 1;
        warn("answer kept to send later (" + x.message + ")");
      })
      .then(function (done) {
        inflight[id] = 0;
        var b = box(), n = b[id];
        if (done && n && n.v == e.v) { delete b[id]; box(b); }
        else if (done && n) ship(id);
      });
  }

  function check(trigger) {
    if (host || busy || !key) return;
    busy = 1;
    var aid = ls("aid") || rid();
    ls("aid", aid);
    post(base, key, "config", {
      anonymous_id: aid, user: user, trigger: trigger,
      language: ds.language || navigator.language || ""
    }).then(function (c) {
      busy = 0;
      if (!c.show || host) return;
      cfg = c;
      render();
      // In a task of its own, so that the prompt's frame does not wait for it.
      setTimeout(function () { post(base, key, "display", { token: c.token }).catch(function () {}); });
    }, function (e) { busy = 0; warn("survey not shown (" + e.message + ")"); });
  }

  var CSS = ":host{all:initial!important;display:block!important}" +
    ".w{position:fixed;z-index:2147483000;bottom:16px;right:16px;box-sizing:border-box;width:380px;max-width:calc(100vw - 16px);" +
    "padding:16px;background:#fff;color:#1f2328;font:15px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;text-align:left;" +
    "border:1px solid #d0d7de;border-radius:12px;box-shadow:0 8px 28px rgba(0,0,0,.18);animation:i .25s ease-out}" +
    ".l{right:auto;left:16px}.n{position:static;width:auto;max-width:none;box-shadow:none}" +
    "@keyframes i{from{opacity:0;transform:translateY(12px)}}" +
    "@media (prefers-reduced-motion:reduce){.w{animation:none}}" +
    "@media (max-width:420px){.w:not(.n){left:8px;right:8px;bottom:8px;width:auto;max-width:none;padding:12px}.s{gap:2px}}" +
    "*{box-sizing:border-box;font:inherit;color:inherit;margin:0}" +
    "fieldset{border:0;padding:0;min-width:0}legend{font-weight:600;padding:0 28px 10px 0}" +
    "img{max-height:28px;display:block;margin-bottom:8px}" +
    ".s{display:grid;grid-template-columns:repeat(11,1fr);gap:3px}.s label{position:relative}" +
    "input{position:absolute;opacity:0;width:1px;height:1px}" +
    ".s span{display:flex;align-items:center;justify-content:center;height:34px;border:1px solid #8c959f;border-radius:6px;cursor:pointer;background:#fff}" +
    ".s span:hover{border-color:var(--a)}input:checked+span{background:var(--a);border-color:var(--a);color:#fff;font-weight:600}" +
    "input:focus-visible+span,button:focus-visible,textarea:focus-visible{outline:3px solid var(--a);outline-offset:2px}" +
    ".e{display:flex;justify-content:space-between;font-size:12px;color:#57606a;margin-top:4px}" +
    ".c{margin-top:12px}.c label{display:block;font-weight:600;margin-bottom:6px}" +
    "textarea{display:block;width:100%;min-height:72px;padding:8px;border:1px solid #8c959f;border-radius:6px;background:#fff;resize:vertical}" +
    "button{cursor:pointer;border:0;background:none;padding:6px 8px;border-radius:6px}" +
    ".b{display:flex;gap:8px;justify-content:flex-end;flex-wrap:wrap;margin-top:8px}" +
    ".p{background:var(--a);color:#fff;font-weight:600;padding:6px 14px}" +
    ".f{justify-content:space-between;font-size:13px;color:#57606a}.f button{text-decoration:underline}" +
    ".x{position:absolute;top:8px;right:8px;font-size:20px;line-height:1;padding:4px 8px}" +
    ".t{font-weight:600;padding:8px 28px 8px 0}" +
    ".q{margin-top:8px}.q label{display:block;margin-top:6px;font-size:13px}.q input{position:static;opacity:1;width:100%;height:auto;padding:6px;border:1px solid #8c959f;border-radius:6px;background:#fff}" +
    ".q blockquote{margin:6px 0;padding-left:8px;border-left:3px solid var(--a)}.g{font-size:12px;color:#57606a;margin-top:8px}" +
    ".r{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}[hidden]{display:none!important}";

  function render() {
    var t = cfg.texts, br = cfg.branding || {}, scale = "";
    for (var i = 0; i <= 10; i++) {
      scale += '<label><input type="radio" name="s" value="' + i + '" aria-label="' +
        esc(i + (i ? i == 10 ? " – " + t.scale_high : "" : " – " + t.scale_low)) + '"><span aria-hidden="true">' + i + "</span></label>";
    }
    var box0 = ds.container && d.querySelector(ds.container), inline = br.position == "inline" && box0;
    host = d.createElement("nps-widget");
    root = host.attachShadow({ mode: "open" });
    root.innerHTML = "<style>" + CSS + "</style>" +
      '<section class="w' + (inline ? " n" : br.position == "bottom-left" ? " l" : "") + '" role="dialog" aria-modal="false" aria-labelledby="q">' +
      (br.logo ? '<img alt="" src="' + esc(br.logo) + '">' : "") +
      '<form novalidate><fieldset><legend id="q">' + esc(t.question) + '</legend><div class="s">' + scale +
      '</div><div class="e" aria-hidden="true"><span>' + esc(t.scale_low) + "</span><span>" + esc(t.scale_high) + "</span></div></fieldset>" +
      '<div class="c" hidden><label for="m" id="u"></label><textarea id="m" maxlength="5000"></textarea>' +
      '<div class="b"><button type="button" class="k">' + esc(t.skip) + '</button><button type="submit" class="p">' + esc(t.send) + "</button></div></div></form>" +
      '<p class="t" hidden tabindex="-1">' + esc(t.thank_you) + "</p>" +
      '<div class="b f"><button type="button" class="o">' + esc(t.not_now) + '</button><button type="button" class="v">' + esc(t.never) + "</button></div>" +
      '<button type="button" class="x" aria-label="' + esc(t.close) + '">×</button><div class="r" aria-live="polite"></div></section>';
    $ = function (s) { return root.querySelector(s); };
    $(".w").style.setProperty("--a", /^#[0-9a-f]{6}$/i.test(br.accent) ? br.accent : "#2563eb");
    $(".s").onchange = function (ev) { choose(+ev.target.value); };
    $("form").onsubmit = function (ev) { ev.preventDefault(); finish($("textarea").value.trim()); };
    $(".k").onclick = function () { finish(""); };
    $(".o").onclick = $(".x").onclick = function () { dismiss(ans ? "" : "not_now"); };
    $(".v").onclick = function () { dismiss("never"); };
    $(".w").onkeydown = function (ev) { if (ev.key == "Escape") $(".x").click(); };
    (inline ? box0 : d.body).appendChild(host);
    // Filled after insertion: live regions only announce changes.
    setTimeout(function () { say(t.question); }, 99);
  }
  function say(m) { $(".r").textContent = m; }
  function choose(s) {
    var t = cfg.texts, cat = s < 7 ? "detractor" : s < 9 ? "passive" : "promoter";
    ans = ans || { id: rid(), b: base, k: key, t: cfg.token, l: cfg.language, v: 0 };
    ans.s = s;
    save();
    $(".c").hidden = false;
    $("#u").textContent = t["follow_up_" + cat];
    say(s + ". " + $("#u").textContent);
  }
  function save(now) {
    ans.v++;
    var b = box();
    b[ans.id] = ans;
    box(b);
    clearTimeout(timer);
    // Arrow keys move through several scores: send the one the person settles on.
    timer = setTimeout(function () { ship(ans.id); }, now ? 0 : 600);
  }
  function finish(comment) {
    if (comment) ans.c = comment;
    save(1);
    $("form").hidden = $(".f").hidden = true;
    $(".t").hidden = false;
    // Moving focus to the thanks reads it out; no live announcement needed.
    $(".t").focus();
    // A promoter's own words: ask whether they may be quoted (docs/TESTIMONIALS.md).
    if (comment && ans.s > 8) post(base, key, "testimonial/offer", { language: cfg.language }).then(offer, function () {});
  }
  function offer(o) {
    if (!o.offer || !host) return;
    var x = o.texts, q = d.createElement("form");
    q.className = "q";
    q.innerHTML = '<p class="t">' + esc(x.ask) + "</p><blockquote>" + esc(ans.c) + "</blockquote>" +
      ["name", "title", "company"].map(function (n) {
        return "<label>" + esc(x[n]) + '<input name="' + n + '" maxlength="100"' + (n == "name" ? ' required value="' + esc(user.name) + '"' : "") + "></label>";
      }).join("") + '<p class="g">' + esc(o.statement) + '</p><div class="b"><button type="button" class="k">' +
      esc(x.decline) + '</button><button type="submit" class="p">' + esc(x.publish) + "</button></div>";
    $(".w").insertBefore(q, $(".f"));
    q.querySelector(".k").onclick = function () { q.remove(); };
    q.onsubmit = function (ev) { ev.preventDefault(); agree(q, x, 0); };
    say(x.ask);
  }
  function agree(q, x, again) {
    var v = function (n) { return q.querySelector("[name=" + n + "]").value; };
    post(base, key, "testimonial", {
      token: cfg.token, id: ans.id, name: v("name"), title: v("title"), company: v("company"), language: cfg.language
    }).then(function (r) {
      q.innerHTML = '<p class="g">' + esc(x.done) + ' <a target="_blank" rel="noopener" href="' + esc(r.withdraw_url) + '">' + esc(x.withdraw) + "</a></p>";
      say(x.done);
    }, function (e) {
      // The answer may still be on its way: one more try once it has landed.
      if (e.status == 404 && !again) setTimeout(function () { agree(q, x, 1); }, 1500);
      else { warn("consent not sent (" + e.message + ")"); q.remove(); }
    });
  }
  function dismiss(kind) {
    if (kind) post(base, key, "dismiss", { token: cfg.token, kind: kind }).catch(function () {});
    if (ans) { clearTimeout(timer); ship(ans.id); }
    host.remove();
  }

  w.addEventListener("pagehide", function () { if (ans && timer) ship(ans.id); });
  try { user = JSON.parse(ds.userTraits ? '{"traits":' + ds.userTraits + "}" : "{}"); } catch (e) {}
  user.id = ds.userId; user.hash = ds.userHash; user.email = ds.userEmail; user.name = ds.userName;
  var queue = (w.nps && w.nps.q) || [], want = "auto", ready;
  w.nps = function (cmd, arg) {
    if (cmd == "identify") {
      arg = arg || {};
      for (var k in arg) user[k] = arg[k];
      if (ready) check("auto");
    } else if (cmd == "show") {
      if (ready) check("show"); else want = "show";
    }
  };
  queue.forEach(function (a) { w.nps.apply(null, a); });
  ready = 1;
  // The prompt waits on this round trip: it leaves first, and answers kept
  // from earlier pages follow it.
  if (ds.auto != "false" || want == "show") check(want);
  Object.keys(box()).forEach(ship);
})(window, document);
