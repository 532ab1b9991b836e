/* Testimonial wall: vanilla, no dependencies, rendered in a shadow DOM.
   Served minified by /testimonials.js; see docs/TESTIMONIALS.md. */
(function (w, d) {
  "use strict";
  var me = d.currentScript || d.querySelector("script[data-wall]");
  if (!me || !me.dataset.wall) return;
  var ds = me.dataset, base = me.src.replace(/\/testimonials\.js(\?.*)?$/, "");
  var url = base + "/t/" + encodeURIComponent(ds.wall) + "/testimonials.json?lang=" +
    encodeURIComponent(ds.language || "") + "&limit=" + encodeURIComponent(ds.limit || "");
  var host = d.createElement("nps-testimonials"), root = host.attachShadow({ mode: "open" });
  var CSS = ":host{all:initial!important;display:block!important}" +
    ".w{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2328;text-align:left}" +
    "h2{font-size:1.25em;margin:0 0 12px}figure{margin:0}" +
    "ul{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:12px}" +
    "li{margin:0;padding:16px;background:#fff;border:1px solid #d0d7de;border-top:4px solid var(--a);border-radius:10px}" +
    "blockquote{margin:0 0 10px;white-space:pre-line;overflow-wrap:anywhere}" +
    "blockquote::before{content:'\\201C'}blockquote::after{content:'\\201D'}" +
    "b{display:block;overflow-wrap:anywhere}small{color:#57606a;font-size:.85em;overflow-wrap:anywhere}";

  function style() {
    // A constructed sheet is CSSOM, not markup: a host page whose policy
    // refuses inline styles still styles the wall.
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      el(root, "style", CSS);
    }
  }
  function el(parent, tag, text) {
    var e = d.createElement(tag);
    // Text only, never markup: what respondents wrote cannot become code.
    if (text) e.textContent = text;
    parent.appendChild(e);
    return e;
  }
  function render(data) {
    var list = data.testimonials || [];
    root.textContent = "";
    if (!list.length) return;
    style();
    var wrap = el(root, "section"), ul;
    wrap.className = "w";
    wrap.style.setProperty("--a", /^#[0-9a-f]{6}$/i.test(data.accent) ? data.accent : "#2563eb");
    if (data.heading) el(wrap, "h2", data.heading);
    ul = el(wrap, "ul");
    list.forEach(function (t) {
      var li = el(ul, "li"), fig = el(li, "figure");
      el(fig, "blockquote", t.quote);
      var cap = el(fig, "figcaption");
      el(cap, "b", t.name);
      var role = [t.title, t.company].filter(Boolean).join(", ");
      if (role) el(cap, "small", role);
    });
  }
  function load() {
    fetch(url, { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw Error("HTTP " + r.status);
      return r.json();
    }).then(render, function (e) { console.warn("[nps] testimonials not shown (" + e.message + ")"); });
  }

  var box = ds.container && d.querySelector(ds.container);
  if (box) box.appendChild(host); else me.parentNode.insertBefore(host, me);
  load();
  // The answers may be cached for a minute: a page left open follows
  // withdrawals and new approvals at the same pace.
  setInterval(function () { if (!d.hidden) load(); }, 60000);
})(window, document);
