/* gnomon dashboard: reads status and history from the daemon that serves
 * this page (relative URLs, so it works under any prefix) and draws them
 * with uPlot. No framework, no build step, nothing from elsewhere. */
(function () {
	"use strict";

	var REFRESH_MS = 3000;
	var MAX_POINTS = 1000;       /* the history API's limit */
	var PERCENTILES = [1, 5, 50, 95, 99];

	var state = {
		seconds: 600,
		source: null,            /* name of the source whose plots are shown */
		sourceChosen: false,     /* the operator clicked one */
		status: null,
		series: [],
		plots: {},               /* plot id -> {u, unit, series, fig} */
		timer: null,
		busy: false,
		refreshes: 0
	};
	/* For tests and the curious: the live state (read-only use). */
	window.gnomonDash = state;

	function $(id) { return document.getElementById(id); }

	/* ---- units ---------------------------------------------------- */

	/* A time in seconds: the unit chosen from the magnitude, so 18 µs
	 * does not read as 0.000018 s. */
	var TIME_UNITS = [[1, "s"], [1e-3, "ms"], [1e-6, "µs"], [1e-9, "ns"]];

	function timeUnit(mag) {
		for (var i = 0; i < TIME_UNITS.length; i++)
			if (mag >= TIME_UNITS[i][0]) return TIME_UNITS[i];
		return TIME_UNITS[TIME_UNITS.length - 1];
	}

	function sig(v, digits) {
		/* three significant figures, but no exponent notation */
		var a = Math.abs(v);
		var d = a >= 100 ? 0 : a >= 10 ? 1 : 2;
		if (digits !== undefined) d = digits;
		return v.toFixed(d);
	}

	function minus(s) { return s.replace(/^-/, "\u2212"); }

	function fmtTime(v) {
		if (v === null || v === undefined || !isFinite(v)) return "–";
		if (v === 0) return "0 s";
		var u = timeUnit(Math.abs(v));
		return minus(sig(v / u[0])) + "\u00a0" + u[1];
	}

	function fmtPpm(v) {
		if (v === null || v === undefined || !isFinite(v)) return "–";
		return minus(v.toFixed(3)) + "\u00a0ppm";
	}

	function fmtAgo(s) {
		if (s === null || s === undefined || !isFinite(s)) return "–";
		if (s < 120) return Math.round(s) + "\u00a0s";
		if (s < 7200) return Math.round(s / 60) + "\u00a0min";
		if (s < 172800) return Math.round(s / 3600) + "\u00a0h";
		return Math.round(s / 86400) + "\u00a0d";
	}

	/* Plot kinds: how a series' numbers are scaled and labelled. */
	function kindUnit(kind, mag) {
		if (kind === "time") {
			var u = timeUnit(mag || 1e-9);
			return { scale: 1 / u[0], label: u[1] };
		}
		if (kind === "ppm") return { scale: 1, label: "ppm" };
		if (kind === "percent") return { scale: 1, label: "%" };
		return { scale: 1, label: "/s" };
	}

	/* ---- fetching ------------------------------------------------- */

	function getJSON(url) {
		return fetch(url, { cache: "no-store", credentials: "same-origin" }).then(function (r) {
			if (!r.ok) throw new Error(url.split("?")[0] + ": HTTP " + r.status);
			return r.json();
		});
	}

	function history(name, seconds, points) {
		return getJSON("history?series=" + encodeURIComponent(name) +
			"&seconds=" + seconds + "&points=" + points);
	}

	/* ---- the summary ---------------------------------------------- */

	function setText(id, text, raw) {
		var el = $(id);
		if (!el) return;
		el.textContent = text;
		if (raw !== undefined) el.setAttribute("data-raw", String(raw));
	}

	function renderTracking(t) {
		if (!t) return;
		var sync = $("sync");
		sync.textContent = t.synchronised ? "synchronised" : "unsynchronised";
		sync.className = t.synchronised ? "ok" : "bad";
		setText("stratum", String(t.stratum), t.stratum);
		var ref = t.reference || "";
		if (t.refid && t.refid !== ref) ref += " (" + t.refid + ")";
		setText("reference", ref || "–", t.reference || "");
		setText("offset", fmtTime(t.last_offset), t.last_offset);
		setText("frequency", fmtPpm(t.frequency_ppm), t.frequency_ppm);
		setText("leap", t.leap || "–", t.leap || "");
		var leap = $("leap");
		leap.className = t.leap && t.leap !== "normal" ? "warn" : "";
		if (typeof t.root_delay === "number" && typeof t.root_dispersion === "number")
			setText("rootdist", fmtTime(t.root_delay / 2 + t.root_dispersion),
				t.root_delay / 2 + t.root_dispersion);
	}

	/* ---- the source table ----------------------------------------- */

	var MODE_MARK = { server: "^", pool: "^", peer: "=", broadcast: "%", local: "#", refclock: "#" };

	function cell(tr, text, cls, raw) {
		var td = document.createElement("td");
		td.textContent = text;
		if (cls) td.className = cls;
		if (raw !== undefined) td.setAttribute("data-raw", String(raw));
		tr.appendChild(td);
		return td;
	}

	function allSources(st) {
		var s = (st.sources && st.sources.sources) || [];
		return s.slice();
	}

	function renderSources(st) {
		var list = allSources(st);
		var tbody = $("sources").tBodies[0];
		tbody.textContent = "";
		$("sources-empty").hidden = list.length > 0;
		/* the system peer, else the first one, until the operator chooses
		 * one (and again if the chosen one goes away) */
		if (!list.some(function (s) { return s.name === state.source; })) state.sourceChosen = false;
		if (!state.sourceChosen) {
			var sel = list.filter(function (s) { return s.state === "*"; })[0] || list[0];
			state.source = sel ? sel.name : null;
		}
		list.forEach(function (s) {
			var tr = document.createElement("tr");
			tr.setAttribute("data-source", s.name);
			if (s.name === state.source) tr.className = "selected";
			cell(tr, (MODE_MARK[s.mode] || "?") + (s.state || " "), "mono");
			var td = document.createElement("td");
			var b = document.createElement("button");
			b.type = "button";
			b.className = "linkish";
			b.textContent = s.name;
			b.setAttribute("aria-pressed", s.name === state.source ? "true" : "false");
			b.title = "plot " + s.name + (s.address && s.address !== s.name ? " (" + s.address + ")" : "");
			b.addEventListener("click", function () { chooseSource(s.name); });
			td.appendChild(b);
			tr.appendChild(td);
			cell(tr, String(s.stratum), "num", s.stratum);
			cell(tr, String(s.poll), "num", s.poll);
			cell(tr, (s.reach >>> 0).toString(8), "num mono", s.reach);
			cell(tr, s.samples > 0 || s.received > 0 ? fmtAgo(s.last_rx_ago) : "–", "num", s.last_rx_ago);
			cell(tr, s.samples > 0 ? fmtTime(s.offset) : "–", "num", s.offset).setAttribute("data-field", "offset");
			cell(tr, s.samples > 0 ? fmtTime(s.delay) : "–", "num", s.delay);
			cell(tr, s.samples > 0 ? fmtTime(s.jitter) : "–", "num", s.jitter);
			tbody.appendChild(tr);
		});
		$("source-name").textContent = state.source || "(none)";
	}

	function chooseSource(name) {
		state.source = name;
		state.sourceChosen = true;
		if (state.status) renderSources(state.status);
		refreshPlots();
	}

	/* ---- server and clients --------------------------------------- */

	function renderServer(st) {
		var s = st.serverstats || {};
		setText("srv-received", String(s.received), s.received);
		setText("srv-answered", String(s.answered), s.answered);
		setText("srv-ratelimited", String(s.ratelimited), s.ratelimited);
		setText("srv-kod", String(s.kod_sent), s.kod_sent);
		var c = st.clients || { total: 0, clients: [] };
		setText("srv-clients", String(c.total), c.total);
		var list = (c.clients || []).slice().sort(function (a, b) { return b.requests - a.requests; }).slice(0, 20);
		var tbody = $("clients").tBodies[0];
		tbody.textContent = "";
		$("clients-empty").hidden = list.length > 0;
		list.forEach(function (cl) {
			var tr = document.createElement("tr");
			cell(tr, cl.address, "mono");
			cell(tr, String(cl.requests), "num", cl.requests);
			cell(tr, String(cl.dropped), "num", cl.dropped);
			cell(tr, String(cl.kod), "num", cl.kod);
			cell(tr, cl.interval > 0 ? fmtAgo(cl.interval) : "–", "num", cl.interval);
			cell(tr, fmtAgo(cl.last_ago) + " ago", "num", cl.last_ago);
			tbody.appendChild(tr);
		});
	}

	/* ---- gateway -------------------------------------------------- */

	function dlItem(dl, name, value) {
		var div = document.createElement("div");
		var dt = document.createElement("dt");
		var dd = document.createElement("dd");
		dt.textContent = name;
		dd.textContent = value;
		div.appendChild(dt);
		div.appendChild(dd);
		dl.appendChild(div);
		return dd;
	}

	function renderGateway(st) {
		var g = st.gateway || {};
		var r = g.receiver;
		var senders = g.senders || [];
		var sec = $("gateway");
		sec.hidden = !r && senders.length === 0 && !g.journal;
		if (sec.hidden) return;
		var dl = $("gw-summary");
		dl.textContent = "";
		senders.forEach(function (s, i) {
			dlItem(dl, "Sender " + i, "→ " + s.to + ":" + s.port + ", " + s.sent + " sent, correction " +
				fmtTime(s.correction) + (s.problem ? ", " + s.problem : ""));
		});
		if (r) {
			var dd = dlItem(dl, "Receiver", r.silent ? "SILENT" : "receiving");
			dd.className = r.silent ? "bad" : "ok";
			dlItem(dl, "Last message", fmtAgo(r.since_last) + " ago");
			dlItem(dl, "Offset", fmtTime(r.last_offset));
			dlItem(dl, "Delay", fmtTime(r.last_delay));
			var seq = r.sequence || {};
			dlItem(dl, "Loss", (r.loss_percent || 0).toFixed(1) + " % (" + (seq.lost || 0) + " lost in " +
				(seq.gaps || 0) + " gaps)").className = r.loss_alarm ? "bad" : "";
			dlItem(dl, "Replays", String(seq.replays || 0));
		}
		if (g.journal) {
			var j = g.journal;
			dlItem(dl, "Journal", j.written + " written, " + (j.lost_queue_full + j.lost_write_error) + " lost" +
				(j.degraded ? ", DEGRADED" : "")).className = j.degraded ? "bad" : "";
		}
		$("gw-plots").hidden = !r;
	}

	/* ---- the device audit (only with `audit`) -------------------- */

	function fmtDate(sec) {
		if (!sec) return "–";
		return new Date(sec * 1000).toLocaleString();
	}

	/* The summary from status; the list of the last run's off and
	 * unreachable devices from `audit` (the daemon's memory, not the
	 * database), fetched only when the daemon audits. */
	function renderAudit(st) {
		var a = st.audit;
		var sec = $("audit");
		sec.hidden = !a;
		if (!a) return Promise.resolve();
		var dl = $("audit-summary");
		dl.textContent = "";
		var run = dlItem(dl, "State", a.state === "running" ?
			"running (" + (a.progress || 0) + " of " + (a.progress_of || 0) + ")" : "idle");
		run.id = "audit-state";
		var lr = a.last_run;
		if (lr) {
			var d = dlItem(dl, "Last run", fmtDate(lr.start) + ", " + sig(lr.duration) + "\u00a0s" +
				(lr.error ? ", " + lr.error : ""));
			d.className = lr.error ? "bad" : "";
		} else {
			dlItem(dl, "Last run", "none yet");
		}
		[["ok", "OK", "ok"], ["off", "Off", "bad"], ["unreachable", "Unreachable", "warn"]].forEach(function (k) {
			if (a[k[0]] === undefined) return;
			var dd = dlItem(dl, k[1], String(a[k[0]]));
			dd.id = "audit-" + k[0];
			dd.setAttribute("data-raw", String(a[k[0]]));
			dd.className = a[k[0]] > 0 && k[0] !== "ok" ? k[2] : "";
		});
		if (a.next_run) dlItem(dl, "Next run", fmtDate(a.next_run));
		return getJSON("audit").then(function (full) {
			var tbody = $("audit-devices").querySelector("tbody");
			var list = full.devices_nonstandard || [];
			tbody.textContent = "";
			list.forEach(function (dev) {
				var tr = document.createElement("tr");
				tr.className = dev.status === "off" ? "sev-critical" : "sev-warning";
				[dev.name, dev.address + (dev.port ? ":" + dev.port : ""), dev.status, dev.method,
				 dev.offset === null ? "–" : fmtTime(dev.offset),
				 dev.delay === null ? "–" : fmtTime(dev.delay), dev.error || ""].forEach(function (v, i) {
					var td = document.createElement("td");
					td.textContent = v;
					if (i === 4 || i === 5) td.className = "num";
					tr.appendChild(td);
				});
				tbody.appendChild(tr);
			});
			$("audit-empty").hidden = list.length > 0 || !lr;
			var tr = $("audit-truncated");
			tr.hidden = !full.truncated;
			if (full.truncated)
				tr.textContent = "The first " + list.length + " of " + full.nonstandard +
					" shown: `gnomonctl audit report --db DB --nonstandard` lists them all.";
		});
	}

	/* ---- health (every daemon) and the hot standby (with `standby`) - */

	/* gnomonctl health's three states, as the page's colours. */
	var HEALTH_CLASS = { synchronised: "ok", degraded: "warn", unsynchronised: "bad" };

	function healthClass(h) { return HEALTH_CLASS[h] || "warn"; }

	/* `health` is in every /status of a daemon that has it; an older
	 * daemon (or harness) without it leaves the item hidden. */
	function renderHealth(st) {
		var h = st.health;
		var item = $("health-item");
		item.hidden = !h;
		if (!h) return;
		var dd = $("health");
		dd.textContent = h.state || "?";
		dd.className = healthClass(h.state);
		dd.setAttribute("data-raw", h.state || "");
		dd.title = h.reason || "";
		/* the reason is worth reading at once when something is wrong */
		if (h.state !== "synchronised" && h.reason) {
			var r = document.createElement("span");
			r.className = "reason";
			r.textContent = h.reason;
			dd.appendChild(r);
		}
	}

	/* seconds ago, with a decimal while it is short: heartbeats come
	 * every fraction of a second */
	function fmtAgoFine(s) {
		if (s === null || s === undefined || !isFinite(s)) return "–";
		if (s < 10) return s.toFixed(1) + "\u00a0s";
		return fmtAgo(s);
	}

	function sbItem(dl, id, name, value, raw, cls, title) {
		var dd = dlItem(dl, name, value);
		dd.id = id;
		if (raw !== undefined && raw !== null) dd.setAttribute("data-raw", String(raw));
		dd.className = cls || "";
		if (title) dd.title = title;
		return dd;
	}

	/* Red: the partner is lost or was never heard, or one of the two is
	 * unsynchronised (it must not serve; doc/standby.md). Yellow: one is
	 * degraded, or the clocks are more than 1 ms apart (partner_disagree's
	 * warning; red past its critical 10 ms). */
	var SB_WARN_OFFSET = 1e-3, SB_BAD_OFFSET = 1e-2;

	function renderStandby(st) {
		var sb = st.standby;
		var sec = $("standby");
		sec.hidden = !sb;
		if (!sb) return;
		var p = sb.partner || {};
		var bad = [], warn = [];
		var selfHealth = (st.health && st.health.state) || sb.health;
		var reason = st.health && st.health.reason;

		var dl = $("sb-self");
		dl.textContent = "";
		sbItem(dl, "sb-health", "This server", (selfHealth || "?") + (reason ? ": " + reason : ""),
			selfHealth, healthClass(selfHealth));
		var since = sb.role_since ? " since " + fmtDate(sb.role_since) : "";
		sbItem(dl, "sb-role", "VRRP role", (sb.role || "unknown") + (sb.role_changes ? since : ""), sb.role,
			sb.role === "fault" ? "bad" : "", "as keepalived last notified (gnomonctl standby notify)");
		sbItem(dl, "sb-priority", "Priority", String(sb.priority), sb.priority);
		var hb = sb.heartbeats || {};
		var refused = [];
		Object.keys(hb).forEach(function (k) {
			if (k !== "sent" && k !== "ok" && k !== "send_error" && hb[k] > 0) refused.push(k + " " + hb[k]);
		});
		var nref = refused.reduce(function (n, r) { return n + parseInt(r.split(" ")[1], 10); }, 0);
		sbItem(dl, "sb-heartbeats", "Heartbeats", (hb.sent || 0) + " sent, " + (hb.ok || 0) + " accepted, " +
			nref + " refused" + (hb.send_error ? ", " + hb.send_error + " send errors" : ""), hb.ok,
			hb.send_error ? "warn" : "", refused.join(", "));
		if (selfHealth === "unsynchronised") bad.push("this server is unsynchronised");
		else if (selfHealth === "degraded") warn.push("this server is degraded");

		$("sb-partner-h").textContent = "Partner " + (p.address || "") + (p.port ? " port " + p.port : "");
		dl = $("sb-partner");
		dl.textContent = "";
		var stale = !p.up && p.heard;
		dl.className = "summary small" + (stale ? " stale" : "");
		var state = p.up ? "up" : p.heard ? "LOST" : "never heard";
		sbItem(dl, "sb-partner-state", "State", state, p.up ? "up" : p.heard ? "lost" : "never", p.up ? "ok" : "bad",
			p.up ? "" : "no authentic heartbeat for three of its intervals");
		if (!p.up) bad.push(p.heard ? "partner LOST: nothing heard for " + fmtAgoFine(p.last_heard) :
			"partner never heard (is it running, with the same key?)");
		sbItem(dl, "sb-partner-address", "Address", p.address || "–", p.address);
		var known = p.heard;
		sbItem(dl, "sb-partner-health", "Health", known ? p.health : "–", p.health,
			known ? healthClass(p.health) : "");
		if (known && p.up) {
			if (p.health === "unsynchronised") bad.push("partner is unsynchronised");
			else if (p.health === "degraded") warn.push("partner is degraded");
		}
		sbItem(dl, "sb-partner-role", "Role", known ? p.role : "–", p.role, known && p.role === "fault" ? "bad" : "");
		sbItem(dl, "sb-partner-stratum", "Stratum", known ? String(p.stratum) : "–", p.stratum);
		sbItem(dl, "sb-partner-rootdist", "Root distance", known ? fmtTime(p.root_distance) : "–", p.root_distance);
		sbItem(dl, "sb-partner-priority", "Priority", known ? String(p.priority) : "–", p.priority);
		sbItem(dl, "sb-partner-heard", "Last heard", known ? fmtAgoFine(p.last_heard) + " ago" : "never",
			p.last_heard);
		var has = typeof p.offset === "number" && p.exchanges > 0;
		var off = has ? Math.abs(p.offset) : 0;
		var offCls = !has ? "" : off > SB_BAD_OFFSET ? "bad" : off > SB_WARN_OFFSET ? "warn" : "";
		sbItem(dl, "sb-offset", "Offset", has ? fmtTime(p.offset) : "–", has ? p.offset : null, offCls,
			"the partner's served clock minus ours, of the least round trip among the last 8 exchanges");
		sbItem(dl, "sb-delay", "Round trip", has ? fmtTime(p.delay) : "–", has ? p.delay : null);
		sbItem(dl, "sb-exchanges", "Exchanges", String(p.exchanges || 0) +
			(p.restarts ? ", " + p.restarts + " restarts" : ""), p.exchanges);
		if (has && p.up) {
			var apart = "clocks " + fmtTime(off) + " apart";
			if (off > SB_BAD_OFFSET) bad.push(apart);
			else if (off > SB_WARN_OFFSET) warn.push(apart);
		}

		var level = bad.length ? "bad" : warn.length ? "warn" : "ok";
		var v = $("sb-verdict");
		v.className = "sb-verdict " + level;
		v.setAttribute("data-level", level);
		var say = level === "ok" ? "pair healthy: partner up" +
			(has ? ", clocks " + fmtTime(off) + " apart" : "") : bad.concat(warn).join("; ");
		v.textContent = say.charAt(0).toUpperCase() + say.slice(1);
		sec.className = "sb-" + level;
	}

	/* ---- alarms (absent until the daemon has them) ---------------- */

	function alarmList(x) {
		if (!x) return [];
		if (Array.isArray(x)) return x;
		if (typeof x === "object") return Object.keys(x).map(function (k) {
			var v = x[k];
			return typeof v === "object" && v !== null ? Object.assign({ name: k }, v) : { name: k, state: v };
		});
		return [];
	}

	function alarmTable(title, list) {
		var frag = document.createDocumentFragment();
		var h = document.createElement("h3");
		h.textContent = title + " (" + list.length + ")";
		frag.appendChild(h);
		if (!list.length) return frag;
		var keys = [];
		list.forEach(function (a) {
			Object.keys(a).forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); });
		});
		var wrap = document.createElement("div");
		wrap.className = "tablewrap";
		var t = document.createElement("table");
		t.className = "data";
		var tr = document.createElement("tr");
		keys.forEach(function (k) {
			var th = document.createElement("th");
			th.scope = "col";
			th.textContent = k;
			tr.appendChild(th);
		});
		t.createTHead().appendChild(tr);
		var tb = t.createTBody();
		list.forEach(function (a) {
			var row = document.createElement("tr");
			var sev = String(a.severity || "").toLowerCase();
			if (sev) row.className = "sev-" + sev.replace(/[^a-z]/g, "");
			keys.forEach(function (k) {
				var v = a[k];
				cell(row, v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
			});
			tb.appendChild(row);
		});
		wrap.appendChild(t);
		frag.appendChild(wrap);
		return frag;
	}

	function renderAlarms(st) {
		var sec = $("alarms");
		var a = st.alarms;
		sec.hidden = !a;
		if (!a) return;
		var body = $("alarms-body");
		body.textContent = "";
		var active, recent;
		if (Array.isArray(a)) {
			active = a.filter(function (x) { return x.active !== false && x.state !== "cleared"; });
			recent = a.filter(function (x) { return !(x.active !== false && x.state !== "cleared"); });
		} else {
			active = alarmList(a.active);
			recent = alarmList(a.recent || a.history || a.cleared);
		}
		body.appendChild(alarmTable("Active", active));
		body.appendChild(alarmTable("Recent", recent));
		sec.className = active.length ? "alarming" : "";
	}

	/* ---- plots ---------------------------------------------------- */

	function percentile(sorted, p) {
		if (!sorted.length) return null;
		var r = (p / 100) * (sorted.length - 1);
		var lo = Math.floor(r), hi = Math.ceil(r);
		return sorted[lo] + (sorted[hi] - sorted[lo]) * (r - lo);
	}

	function fmtKind(kind, v) {
		if (v === null || v === undefined || !isFinite(v)) return "–";
		if (kind === "time") return fmtTime(v);
		if (kind === "ppm") return fmtPpm(v);
		if (kind === "percent") return v.toFixed(1) + "\u00a0%";
		return minus(sig(v)) + "\u00a0/s";
	}

	/* ntpviz-style summary row: percentiles of the plotted means, and
	 * the extremes of the samples they cover. */
	function renderStats(fig, kind, h) {
		var tbl = fig.querySelector("table.pct");
		if (!tbl) {
			tbl = document.createElement("table");
			tbl.className = "pct";
			var head = tbl.createTHead().insertRow();
			["min"].concat(PERCENTILES.map(function (p) { return p + "\u00a0%"; }), ["max"]).forEach(function (t) {
				var th = document.createElement("th");
				th.scope = "col";
				th.textContent = t;
				head.appendChild(th);
			});
			tbl.createTBody().insertRow();
			var wrap = document.createElement("div");
			wrap.className = "pctwrap";
			wrap.appendChild(tbl);
			fig.appendChild(wrap);
		}
		var means = (h.mean || []).filter(function (v) { return v !== null; }).sort(function (a, b) { return a - b; });
		var mins = (h.min || []).filter(function (v) { return v !== null; });
		var maxs = (h.max || []).filter(function (v) { return v !== null; });
		var vals = [mins.length ? Math.min.apply(null, mins) : null]
			.concat(PERCENTILES.map(function (p) { return percentile(means, p); }))
			.concat([maxs.length ? Math.max.apply(null, maxs) : null]);
		var row = tbl.tBodies[0].rows[0];
		row.textContent = "";
		vals.forEach(function (v) { cell(row, fmtKind(kind, v), "num", v === null ? "" : v); });
	}

	function plotWidth(fig) {
		var w = fig.clientWidth || 300;
		return Math.max(200, w - 2);
	}

	function makePlot(id, fig, kind, unit, data, name) {
		var color = "#1f6fb2";
		var opts = {
			width: plotWidth(fig),
			height: 180,
			legend: { show: true, live: true },
			/* drag across a plot to zoom in time, double-click to go back */
			cursor: { drag: { x: true, y: false } },
			scales: { x: { time: true } },
			series: [
				{},
				{ label: "mean", stroke: color, width: 1.5, spanGaps: false,
				  value: function (u, v) { return v === null ? "–" : sig(v) + " " + unit.label; } },
				{ label: "min", stroke: "rgba(31,111,178,0.25)", width: 1, spanGaps: false,
				  value: function (u, v) { return v === null ? "–" : sig(v) + " " + unit.label; } },
				{ label: "max", stroke: "rgba(31,111,178,0.25)", width: 1, spanGaps: false,
				  value: function (u, v) { return v === null ? "–" : sig(v) + " " + unit.label; } }
			],
			bands: [{ series: [3, 2], fill: "rgba(31,111,178,0.12)" }],
			hooks: {
				/* remember a zoom, so the next refresh keeps it */
				setScale: [function (u, key) {
					var xs = u.data[0];
					if (key !== "x" || !xs.length) return;
					u.gnomonZoomed = u.scales.x.min > xs[0] || u.scales.x.max < xs[xs.length - 1];
				}]
			},
			axes: [
				{},
				{ label: unit.label, size: 60 }
			]
		};
		var holder = fig.querySelector(".uplot-holder");
		if (!holder) {
			holder = document.createElement("div");
			holder.className = "uplot-holder";
			holder.setAttribute("role", "img");
			var cap = fig.querySelector("figcaption");
			fig.insertBefore(holder, cap.nextSibling);
		}
		holder.setAttribute("aria-label", (fig.querySelector("figcaption").textContent || id) +
			" over time, in " + unit.label);
		holder.textContent = "";
		return new uPlot(opts, data, holder);
	}

	function toData(h, scale) {
		var n = (h.mean || []).length;
		var xs = new Array(n), m = new Array(n), lo = new Array(n), hi = new Array(n);
		function s(v) { return v === null || v === undefined ? null : v * scale; }
		for (var i = 0; i < n; i++) {
			xs[i] = h.t0 + i * h.step;
			m[i] = s(h.mean[i]);
			lo[i] = s(h.min ? h.min[i] : null);
			hi[i] = s(h.max ? h.max[i] : null);
		}
		return [xs, m, lo, hi];
	}

	function magnitude(h) {
		var mag = 0;
		["mean", "min", "max"].forEach(function (k) {
			(h[k] || []).forEach(function (v) { if (v !== null && Math.abs(v) > mag) mag = Math.abs(v); });
		});
		return mag;
	}

	function setPlot(fig, name, h) {
		var id = fig.getAttribute("data-plot");
		var kind = fig.getAttribute("data-kind");
		var unit = kindUnit(kind, magnitude(h));
		var data = toData(h, unit.scale);
		var p = state.plots[id];
		fig.setAttribute("data-shown", name);
		fig.classList.remove("nodata");
		if (p && p.unit.label === unit.label && p.series === name) {
			p.u.setData(data, !p.u.gnomonZoomed);
		} else {
			if (p) p.u.destroy();
			p = state.plots[id] = { u: makePlot(id, fig, kind, unit, data, name), unit: unit, series: name, fig: fig };
		}
		p.points = data[0].length;
		renderStats(fig, kind, h);
	}

	function noData(fig, why) {
		var id = fig.getAttribute("data-plot");
		var p = state.plots[id];
		if (p) { p.u.destroy(); delete state.plots[id]; }
		var holder = fig.querySelector(".uplot-holder");
		if (holder) holder.textContent = why;
		else {
			holder = document.createElement("div");
			holder.className = "uplot-holder";
			holder.textContent = why;
			fig.insertBefore(holder, fig.querySelector("figcaption").nextSibling);
		}
		var tbl = fig.querySelector(".pctwrap");
		if (tbl) tbl.remove();
		fig.removeAttribute("data-shown");
		fig.classList.add("nodata");
	}

	function seriesFor(fig) {
		var s = fig.getAttribute("data-series");
		if (s) return s;
		var f = fig.getAttribute("data-source-field");
		/* gnomond names a series with the source's name, any space or
		 * other non-printable character made a '-' (mon/series.c). */
		if (f && state.source) return "source." + state.source.replace(/[^!-~]/g, "-") + "." + f;
		return null;
	}

	function refreshPlots() {
		var figs = Array.prototype.slice.call(document.querySelectorAll("figure.plot"));
		return Promise.all(figs.map(function (fig) {
			var name = seriesFor(fig);
			if (fig.closest("[hidden]")) return null;
			if (!name || state.series.indexOf(name) < 0) {
				noData(fig, name ? "no history for " + name + " yet" : "no series");
				return null;
			}
			var points = Math.min(MAX_POINTS, Math.max(60, Math.round(plotWidth(fig))));
			return history(name, state.seconds, points).then(function (h) {
				/* a click may have changed the source meanwhile */
				if (seriesFor(fig) !== name) return;
				setPlot(fig, name, h);
			}, function (e) {
				/* one series refused must not stop the others */
				if (seriesFor(fig) === name) noData(fig, "history unavailable: " + (e.message || e));
			});
		}));
	}

	/* ---- the loop ------------------------------------------------- */

	function showError(e) {
		var el = $("error");
		if (e) {
			el.textContent = "Cannot read from gnomond: " + (e.message || e);
			el.hidden = false;
		} else {
			el.hidden = true;
		}
	}

	function refresh() {
		if (state.busy) return Promise.resolve();
		state.busy = true;
		return Promise.all([getJSON("status"), getJSON("history")]).then(function (r) {
			var st = r[0];
			state.status = st;
			state.series = (r[1] && r[1].series) || [];
			renderTracking(st.tracking);
			renderHealth(st);
			renderStandby(st);
			renderSources(st);
			renderServer(st);
			renderGateway(st);
			renderAlarms(st);
			return Promise.all([renderAudit(st), refreshPlots()]);
		}).then(function () {
			state.refreshes++;
			var now = new Date();
			var t = $("updated");
			t.dateTime = now.toISOString();
			t.textContent = now.toLocaleTimeString();
			showError(null);
		}).catch(function (e) {
			showError(e);
		}).then(function () {
			state.busy = false;
		});
	}

	function setRange(btn) {
		var buttons = document.querySelectorAll("#range button");
		Array.prototype.forEach.call(buttons, function (b) { b.setAttribute("aria-pressed", b === btn ? "true" : "false"); });
		state.seconds = parseInt(btn.getAttribute("data-seconds"), 10);
		refreshPlots().catch(showError);
	}

	function init() {
		Array.prototype.forEach.call(document.querySelectorAll("#range button"), function (b) {
			b.addEventListener("click", function () { setRange(b); });
		});
		var resizeTimer = null;
		window.addEventListener("resize", function () {
			clearTimeout(resizeTimer);
			resizeTimer = setTimeout(function () {
				Object.keys(state.plots).forEach(function (id) {
					var p = state.plots[id];
					p.u.setSize({ width: plotWidth(p.fig), height: 180 });
				});
			}, 150);
		});
		refresh();
		state.timer = setInterval(refresh, REFRESH_MS);
	}

	if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
	else init();
})();
