// The Perpetua dashboard: the whole state arrives first, then one delta per record the server reads.
'use strict';

const COLORS = ['#1565c0', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f', '#ad1457', '#5d4037'];
const MARKS = { warning: 'W', drift: 'D', replacement: 'R', promotion: 'P' };
const MARK_COLORS = { warning: '#f9a825', drift: '#c62828', replacement: '#6a1b9a', promotion: '#1565c0' };

let state = { models: {}, curves: [], markers: {}, deadLetters: { total: 0, byReason: {}, latest: [] } };
const charts = {}; // model -> { metric: uPlot, rate: uPlot, names }
const dirty = new Set();
let sequence = 0;

function fmt(v, digits) {
  return v === undefined || v === null ? '–' : Number(v).toLocaleString('en-US', { maximumFractionDigits: digits });
}

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function renderModels() {
  const body = document.querySelector('#models tbody');
  body.replaceChildren();
  for (const name of Object.keys(state.models).sort()) {
    const m = state.models[name];
    const metrics = m.lastMetrics || m.snapshotMetrics || {};
    const shown = Object.entries(metrics).map(([k, v]) => `${k} ${fmt(v, k === 'eventsPerSecond' ? 0 : 4)}`).join(' · ');
    const row = el('tr', { 'data-model': name });
    row.append(el('td', {}, name), el('td', { class: `state-${m.state}` }, m.state || '–'),
      el('td', { class: 'num' }, fmt(m.version)), el('td', { class: 'num' }, fmt(m.examplesSeen)),
      el('td', {}, shown || '–'));
    body.append(row);
  }
}

function renderDeadLetters() {
  const d = state.deadLetters;
  document.getElementById('deadletter-total').textContent = fmt(d.total);
  const kinds = document.querySelector('#deadletter-kinds tbody');
  kinds.replaceChildren();
  Object.entries(d.byReason).sort((a, b) => b[1] - a[1]).forEach(([k, n]) => {
    const row = el('tr');
    row.append(el('td', {}, k), el('td', { class: 'num' }, fmt(n)));
    kinds.append(row);
  });
  const latest = document.getElementById('deadletter-latest');
  latest.replaceChildren();
  d.latest.forEach((x) => latest.append(el('li', {},
    `${new Date(x.time).toLocaleTimeString()} ${x.topic}-${x.partition}@${x.offset}${x.model ? ' [' + x.model + ']' : ''}: ${x.reason}`)));
}

function curvesOf(model) {
  return state.curves.filter((c) => c.model === model)
    .sort((a, b) => (a.learner === 'champion' ? -1 : b.learner === 'champion' ? 1 : a.learner.localeCompare(b.learner)));
}

// One x axis for all learners of a model: the union of their event counts.
function aligned(curves, field) {
  const xs = [...new Set(curves.flatMap((c) => c.points.map((p) => p.events)))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = curves.map((c) => {
    const y = new Array(xs.length).fill(null);
    c.points.forEach((p) => { if (p[field] !== undefined) y[index.get(p.events)] = p[field]; });
    return y;
  });
  return [xs, ys];
}

function markerPlugin(model) {
  return {
    hooks: {
      draw: [(u) => {
        const ctx = u.ctx;
        (state.markers[model] || []).forEach((m) => {
          const x = u.valToPos(m.events, 'x', true);
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
          ctx.save();
          ctx.strokeStyle = MARK_COLORS[m.event] || '#000';
          ctx.setLineDash([4, 3]);
          ctx.beginPath();
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
          ctx.fillStyle = ctx.strokeStyle;
          ctx.font = 'bold 12px sans-serif';
          ctx.fillText(MARKS[m.event] || '?', x + 3, u.bbox.top + 12);
          ctx.restore();
        });
      }],
    },
  };
}

function renderCurves(model) {
  const curves = curvesOf(model);
  let box = document.querySelector(`.model-curves[data-model="${CSS.escape(model)}"]`);
  if (!box) {
    box = el('div', { class: 'model-curves', 'data-model': model });
    box.append(el('h3', {}, model), el('div', { class: 'metric-chart' }), el('div', { class: 'rate-chart' }), el('ul', { class: 'markers' }));
    document.getElementById('curves').append(box);
  }
  const points = curves.reduce((n, c) => n + c.points.length, 0);
  box.dataset.points = points;
  const task = (state.models[model] || {}).task;
  const metricName = task === 'REGRESSION' ? 'rmse' : task === 'MULTICLASS' ? 'accuracy' : 'auc';
  const lossName = task === 'REGRESSION' ? 'mae' : 'logLoss';
  const names = curves.map((c) => c.learner).join(',');
  const [xs, metric] = aligned(curves, 'metric');
  const [, loss] = aligned(curves, 'loss');
  const [, rate] = aligned(curves.slice(0, 1), 'eventsPerSecond');
  const width = Math.max(400, box.clientWidth - 20);
  let c = charts[model];
  if (!c || c.names !== names) {
    if (c) { c.metric.destroy(); c.rate.destroy(); }
    const series = [{ label: 'events' }];
    curves.forEach((cv, i) => series.push({ label: `${cv.learner} ${metricName}`, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true, scale: 'metric' }));
    curves.forEach((cv, i) => series.push({ label: `${cv.learner} ${lossName}`, stroke: COLORS[i % COLORS.length], dash: [6, 4], width: 1, spanGaps: true, scale: 'loss' }));
    c = {
      names,
      metric: new uPlot({ width, height: 260, series, plugins: [markerPlugin(model)],
        scales: { x: { time: false } },
        axes: [{ label: 'events' }, { scale: 'metric', label: metricName, size: 70 }, { scale: 'loss', side: 1, label: lossName, grid: { show: false } }] },
      [xs, ...metric, ...loss], box.querySelector('.metric-chart')),
      rate: new uPlot({ width, height: 120, plugins: [markerPlugin(model)], scales: { x: { time: false } },
        series: [{ label: 'events' }, { label: 'events/s', stroke: '#455a64', width: 1, spanGaps: true }],
        axes: [{}, { label: 'events/s', size: 70 }] },
      [xs, ...rate], box.querySelector('.rate-chart')),
    };
    charts[model] = c;
  } else {
    c.metric.setData([xs, ...metric, ...loss]);
    c.rate.setData([xs, ...rate]);
  }
  const list = box.querySelector('.markers');
  list.replaceChildren();
  (state.markers[model] || []).slice(-20).reverse().forEach((m) => {
    const li = el('li', {});
    li.append(el('span', { class: `m-${m.event}` }, MARKS[m.event] || '?'),
      document.createTextNode(` ${m.event} (${m.learner}) at ${fmt(m.events)} events${m.detail ? ': ' + m.detail : ''}`));
    list.append(li);
  });
}

function renderAll() {
  document.getElementById('status').textContent = state.status || '';
  renderModels();
  renderDeadLetters();
  new Set(state.curves.map((c) => c.model)).forEach(renderCurves);
}

function scheduleRender(what) {
  dirty.add(what);
  if (dirty.size === 1) {
    requestAnimationFrame(() => {
      if (dirty.has('all')) renderAll();
      else {
        if (dirty.has('models')) renderModels();
        if (dirty.has('deadLetters')) renderDeadLetters();
        if (dirty.has('status')) document.getElementById('status').textContent = state.status;
        dirty.forEach((d) => { if (d.startsWith('curve:')) renderCurves(d.slice(6)); });
      }
      dirty.clear();
    });
  }
}

function apply(d) {
  if (d.sequence <= sequence) return;
  sequence = d.sequence;
  switch (d.kind) {
    case 'status':
      state.status = d.status; scheduleRender('status'); break;
    case 'model':
      state.models[d.modelEntry.model] = d.modelEntry; scheduleRender('models'); break;
    case 'point': {
      let c = state.curves.find((x) => x.model === d.model && x.learner === d.learner);
      if (!c) { c = { model: d.model, learner: d.learner, points: [] }; state.curves.push(c); }
      c.points.push(d.point);
      if (d.modelEntry) { state.models[d.model] = d.modelEntry; scheduleRender('models'); }
      scheduleRender('curve:' + d.model);
      break;
    }
    case 'marker':
      (state.markers[d.marker.model] = state.markers[d.marker.model] || []).push(d.marker);
      scheduleRender('curve:' + d.marker.model); break;
    case 'deadLetter': {
      const dl = state.deadLetters;
      dl.total = d.total; dl.byReason[d.reasonKind] = d.reasonCount; dl.latest.unshift(d.latest); dl.latest.length = Math.min(dl.latest.length, 20);
      scheduleRender('deadLetters');
      break;
    }
  }
}

function connect() {
  const source = new EventSource('/api/events');
  const badge = document.getElementById('connection');
  source.addEventListener('state', (e) => {
    state = JSON.parse(e.data);
    sequence = state.sequence;
    Object.values(charts).forEach((c) => { c.metric.destroy(); c.rate.destroy(); });
    Object.keys(charts).forEach((k) => delete charts[k]);
    document.getElementById('curves').replaceChildren();
    badge.textContent = 'live'; badge.className = 'online';
    scheduleRender('all');
  });
  source.addEventListener('delta', (e) => apply(JSON.parse(e.data)));
  source.onerror = () => { badge.textContent = 'reconnecting'; badge.className = 'offline'; };
}

connect();
