// The script of the dashboard and of the report, sent inline (no CDN, no bundler: fleets are often
// air-gapped and the page must work from a file). Plain ES5-style JavaScript that only draws the
// view models it is given (src/view/matrix.ts, workload.ts, state/history.ts) with DOM calls —
// textContent, never innerHTML, so nothing from a fleet repository is ever parsed as markup.
// Kept free of backquotes and dollar-brace so it can live in this String.raw template.
export const CLIENT_JS = String.raw`
(function () {
  'use strict';
  var GROUP_ABOVE = 40;
  var cfg = JSON.parse(document.getElementById('flotilla-config').textContent);
  var main = document.getElementById('main');
  var live = document.getElementById('live');
  var state = { fleet: null, expanded: {}, filter: { text: '', namespace: '', policy: '', cluster: '' }, token: '' };
  try {
    state.token = sessionStorage.getItem('flotilla-token') || '';
  } catch (e) {
    state.token = '';
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs)
      for (var k in attrs) {
        if (attrs[k] === null || attrs[k] === undefined || attrs[k] === false) continue;
        if (k === 'text') node.textContent = attrs[k];
        else if (k === 'className') node.className = attrs[k];
        else if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), attrs[k]);
        else node.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
      }
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }
  function short(rev) {
    return rev && /^[0-9a-f]{40}$/.test(rev) ? rev.slice(0, 12) : rev || '-';
  }
  function announce(text) {
    live.textContent = text;
  }
  function api(path) {
    return cfg.base + 'api/' + path;
  }
  function headers() {
    return state.token ? { Authorization: 'Bearer ' + state.token } : {};
  }
  function getJson(path) {
    return fetch(api(path), { headers: headers(), cache: 'no-store' }).then(function (res) {
      if (res.status === 401) {
        var e = new Error('unauthorized');
        e.unauthorized = true;
        throw e;
      }
      if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
      return res.json();
    });
  }

  // ---- the matrix: columns are clusters, grouped by region past GROUP_ABOVE visible clusters
  function cellText(cell) {
    if (!cell.placed) return cell.was ? (cell.was.r === null ? '✓' : String(cell.was.r)) + ' → –' : '';
    var now = cell.r === null ? '✓' : String(cell.r);
    if (!cell.was) return now;
    var was = !cell.was.placed ? '–' : cell.was.r === null ? '✓' : String(cell.was.r);
    return was + ' → ' + now;
  }
  function healthClass(h) {
    if (!h) return '';
    h = String(h).toLowerCase();
    return h === 'healthy' ? ' ok' : h === 'progressing' ? ' progressing' : ' bad';
  }
  function visibleClusters(m) {
    var f = state.filter.cluster.toLowerCase();
    var out = [];
    m.clusters.forEach(function (c, i) {
      if (!f || c.name.toLowerCase().indexOf(f) >= 0 || c.region.toLowerCase().indexOf(f) >= 0) out.push(i);
    });
    return out;
  }
  function columnsOf(m, visible) {
    if (visible.length <= GROUP_ABOVE)
      return visible.map(function (i) {
        return { label: m.clusters[i].name, members: [i], cluster: m.clusters[i] };
      });
    var groups = {},
      order = [];
    visible.forEach(function (i) {
      var region = m.clusters[i].region || '(no region)';
      if (!groups[region]) {
        groups[region] = [];
        order.push(region);
      }
      groups[region].push(i);
    });
    order.sort();
    var cols = [];
    order.forEach(function (region) {
      if (state.expanded[region])
        groups[region].forEach(function (i) {
          cols.push({ label: m.clusters[i].name, members: [i], cluster: m.clusters[i], region: region });
        });
      else cols.push({ label: region, members: groups[region], group: region });
    });
    return cols;
  }
  function rowVisible(row) {
    var f = state.filter;
    if (f.namespace && row.namespace !== f.namespace) return false;
    if (f.policy && (row.policy || '(none)') !== f.policy) return false;
    if (f.text && row.ref.toLowerCase().indexOf(f.text.toLowerCase()) < 0) return false;
    return true;
  }
  function aggregate(cells) {
    var placed = 0,
      replicas = 0,
      anyReplicas = false,
      changed = false,
      health = '',
      wasR = 0,
      wasPlaced = 0;
    cells.forEach(function (c) {
      if (c.placed) {
        placed++;
        if (c.r !== null) {
          replicas += c.r;
          anyReplicas = true;
        }
      }
      if (c.was) {
        changed = true;
      }
      var before = c.was || (c.placed ? { placed: true, r: c.r } : null);
      if (before && before.placed) {
        wasPlaced++;
        if (before.r !== null) wasR += before.r;
      }
      if (c.health && !health) health = c.health;
    });
    var now = anyReplicas ? String(replicas) : placed ? placed + ' ✓' : '';
    var text = now;
    if (changed) text = (anyReplicas || wasR ? String(wasR) : wasPlaced + ' ✓') + ' → ' + (now || '–');
    return { text: text, changed: changed, health: health, placed: placed };
  }
  function drawMatrix(m, container) {
    var t0 = performance.now();
    var visible = visibleClusters(m);
    var cols = columnsOf(m, visible);
    var table = el('table', { className: 'matrix', 'aria-label': 'Placement matrix: workloads by cluster' });
    table.appendChild(
      el('caption', {
        text:
          'Replicas per cluster (' +
          m.clusters.length +
          ' clusters' +
          (cols.length < visible.length ? ', grouped by region: open a region to see its clusters' : '') +
          ')',
      }),
    );
    var head = el('tr', null, [el('th', { scope: 'col', text: 'Workload' })]);
    cols.forEach(function (col) {
      if (col.group) {
        head.appendChild(
          el('th', { scope: 'col', className: 'group', 'data-group': col.group }, [
            el('button', {
              type: 'button',
              'aria-expanded': 'false',
              text: col.label + ' (' + col.members.length + ')',
              onclick: function () {
                state.expanded[col.group] = true;
                redraw();
              },
            }),
          ]),
        );
      } else {
        var c = col.cluster;
        var title = [c.provider, c.region, c.zones.join(','), c.ready ? 'ready' : 'not ready', c.health ? 'health ' + c.health : '']
          .filter(Boolean)
          .join(' · ');
        var th = el('th', { scope: 'col', 'data-cluster': c.name, title: title, className: c.ready ? '' : 'notready' }, [c.name]);
        if (col.region)
          th.appendChild(
            el('button', {
              type: 'button',
              className: 'collapse',
              'aria-label': 'Collapse region ' + col.region,
              text: '×',
              onclick: function () {
                state.expanded[col.region] = false;
                redraw();
              },
            }),
          );
        head.appendChild(th);
      }
    });
    table.appendChild(el('thead', null, [head]));
    var body = el('tbody');
    var shown = 0;
    m.rows.forEach(function (row) {
      if (!rowVisible(row)) return;
      shown++;
      var byCluster = {};
      row.cells.forEach(function (cell) {
        byCluster[cell.c] = cell;
      });
      var name =
        cfg.mode === 'dashboard'
          ? el('a', { href: '#/workload/' + encodeURIComponent(row.key), text: row.ref })
          : document.createTextNode(row.ref);
      var th = el('th', { scope: 'row' }, [name]);
      if (row.change) th.appendChild(el('span', { className: 'badge ' + row.change, text: row.change }));
      if (row.error) th.appendChild(el('span', { className: 'badge error', title: row.error, text: 'unschedulable' }));
      var tr = el('tr', { 'data-row': row.ref, className: row.change ? 'row-' + row.change : '' }, [th]);
      cols.forEach(function (col) {
        var cells = [];
        col.members.forEach(function (i) {
          if (byCluster[i]) cells.push(byCluster[i]);
        });
        var td;
        if (col.group) {
          var a = aggregate(cells);
          td = el('td', { 'data-group': col.group, className: (a.changed ? 'changed' : '') + healthClass(a.health), text: a.text });
        } else {
          var cell = cells[0];
          td = el('td', { 'data-cluster': col.cluster.name });
          if (cell) {
            td.textContent = cellText(cell);
            td.className =
              (cell.was ? 'changed' : cell.placed ? 'placed' : '') + healthClass(cell.health || (cell.placed ? col.cluster.health : ''));
            if (cell.reason) td.title = cell.reason;
            else if (cell.health) td.title = cell.health;
          }
        }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    table.appendChild(body);
    container.appendChild(el('div', { className: 'scroll', tabindex: '0', role: 'region', 'aria-label': 'Placement matrix' }, [table]));
    container.appendChild(el('p', { className: 'muted', text: shown + ' of ' + m.rows.length + ' resources shown' }));
    var ms = performance.now() - t0;
    document.body.setAttribute('data-matrix-ms', ms.toFixed(1));
    document.body.setAttribute('data-matrix-at', performance.now().toFixed(1));
  }
  function filters(m, onChange) {
    var namespaces = {},
      policies = {};
    m.rows.forEach(function (r) {
      namespaces[r.namespace] = true;
      policies[r.policy || '(none)'] = true;
    });
    function select(id, label, values, key) {
      var s = el(
        'select',
        {
          id: id,
          onchange: function () {
            state.filter[key] = s.value;
            onChange();
          },
        },
        [el('option', { value: '', text: 'all' })],
      );
      Object.keys(values)
        .sort()
        .forEach(function (v) {
          s.appendChild(el('option', { value: v, text: v || '(cluster-scoped)' }));
        });
      s.value = state.filter[key];
      return el('span', null, [el('label', { for: id, text: label }), s]);
    }
    function input(id, label, key) {
      var i = el('input', {
        id: id,
        type: 'search',
        value: state.filter[key],
        oninput: function () {
          state.filter[key] = i.value;
          onChange();
        },
      });
      return el('span', null, [el('label', { for: id, text: label }), i]);
    }
    return el(
      'form',
      {
        className: 'filters',
        role: 'search',
        onsubmit: function (e) {
          e.preventDefault();
        },
      },
      [
        input('f-text', 'Resource', 'text'),
        select('f-ns', 'Namespace', namespaces, 'namespace'),
        select('f-policy', 'Policy', policies, 'policy'),
        input('f-cluster', 'Cluster or region', 'cluster'),
      ],
    );
  }

  // ---- shared sections
  function table(caption, headings, rows) {
    var t = el('table', null, [el('caption', { text: caption })]);
    t.appendChild(
      el('thead', null, [
        el(
          'tr',
          null,
          headings.map(function (h) {
            return el('th', { scope: 'col', text: h });
          }),
        ),
      ]),
    );
    var body = el('tbody');
    rows.forEach(function (r) {
      body.appendChild(
        el(
          'tr',
          null,
          r.map(function (v) {
            return el('td', null, [v === null || v === undefined ? '-' : typeof v === 'object' ? v : String(v)]);
          }),
        ),
      );
    });
    t.appendChild(body);
    return el('div', { className: 'scroll' }, [t]);
  }
  /** The table of the rows, or a muted note when there are none. */
  function tableOr(none, caption, headings, rows) {
    return rows.length ? table(caption, headings, rows) : el('p', { className: 'muted', text: none });
  }
  function diagnostics(list) {
    return tableOr(
      'No diagnostics.',
      'Diagnostics',
      ['severity', 'code', 'where', 'message'],
      (list || []).map(function (d) {
        var where = d.file ? d.file + (d.line ? ':' + d.line : '') : '-';
        return [el('span', { className: 'sev ' + d.severity, text: d.severity + (d.isNew ? ' (new)' : '') }), d.code, where, d.message];
      }),
    );
  }
  /** The filters and the matrix under them, appended to main; a filter change or a region opened redraws the matrix. */
  function matrixSection(m) {
    var holder = el('div');
    redraw = function () {
      holder.textContent = '';
      drawMatrix(m, holder);
    };
    main.appendChild(filters(m, redraw));
    main.appendChild(holder);
    drawMatrix(m, holder);
  }

  // ---- dashboard views
  var redraw = function () {};
  function statusLine(s) {
    if (!s) return el('p', { className: 'muted', text: 'No reconcile recorded yet.' });
    return el('dl', { className: 'status' }, [
      el('dt', { text: 'Phase' }),
      el('dd', { 'data-phase': s.phase, className: 'phase ' + s.phase, text: s.phase + (s.reason ? ' (' + s.reason + ')' : '') }),
      el('dt', { text: 'Revision' }),
      el('dd', { 'data-revision': s.sourceRevision, text: short(s.sourceRevision) }),
      el('dt', { text: 'Last good' }),
      el('dd', { text: short(s.lastGoodRevision) }),
      el('dt', { text: 'Reconciled' }),
      el('dd', { text: s.reconciledAt || '-' }),
      el('dt', { text: 'Message' }),
      el('dd', { text: s.message || '-' }),
    ]);
  }
  function overview(data) {
    main.textContent = '';
    main.appendChild(el('h2', { text: 'Fleet' }));
    main.appendChild(statusLine(data.status));
    if (!data.matrix) {
      main.appendChild(el('p', { text: 'Nothing rendered yet: the first pass has not finished.' }));
      return;
    }
    var m = data.matrix;
    var clusters = el('details', { open: m.clusters.length <= GROUP_ABOVE ? true : null }, [
      el('summary', { text: 'Clusters (' + m.clusters.length + ')' }),
    ]);
    clusters.appendChild(
      table(
        'Clusters',
        ['name', 'ready', 'provider', 'region', 'zones', 'capacity', 'taints', 'health', 'drifted'],
        m.clusters.map(function (c) {
          return [
            c.name,
            c.ready ? 'yes' : 'no',
            c.provider,
            c.region,
            c.zones.join(', '),
            c.capacity,
            c.taints.join(', '),
            c.health,
            c.drifted,
          ];
        }),
      ),
    );
    main.appendChild(clusters);
    main.appendChild(el('h2', { text: 'Placements' }));
    matrixSection(m);
    main.appendChild(el('h2', { text: 'Diagnostics' }));
    main.appendChild(diagnostics(data.diagnostics));
  }
  function workload(w) {
    main.textContent = '';
    main.focus();
    main.appendChild(el('p', null, [el('a', { href: '#/', text: '← Fleet' })]));
    main.appendChild(el('h2', { text: w.ref }));
    main.appendChild(
      el('dl', { className: 'status' }, [
        el('dt', { text: 'API version' }),
        el('dd', { text: w.apiVersion }),
        el('dt', { text: 'Source' }),
        el('dd', { text: w.source ? w.source.file + ':' + w.source.line : '-' }),
        el('dt', { text: 'Policy' }),
        el('dd', { text: w.policy || '(none)' }),
        el('dt', { text: 'Replicas' }),
        el('dd', { text: w.replicas === null ? '-' : String(w.replicas) }),
        el('dt', { text: 'Error' }),
        el('dd', { text: w.error || '-' }),
      ]),
    );
    if (w.policies.length > 1)
      main.appendChild(
        table(
          'Policies selecting it',
          ['policy', 'priority', 'selects it', 'claims', 'loses it because'],
          w.policies.map(function (p) {
            return [
              p.kind + ' ' + (p.namespace ? p.namespace + '/' : '') + p.name,
              p.priority,
              p.selects,
              p.claims ? 'yes' : 'no',
              p.lostBecause || '',
            ];
          }),
        ),
      );
    main.appendChild(el('h3', { text: 'Steps' }));
    main.appendChild(
      el(
        'ol',
        null,
        w.steps.map(function (s) {
          return el('li', { text: s });
        }),
      ),
    );
    main.appendChild(
      table(
        'Clusters',
        ['cluster', 'verdict', 'replicas', 'score', 'available', 'reasons'],
        w.verdicts.map(function (v) {
          return [
            v.name,
            v.selected ? 'selected' : v.feasible ? 'feasible, not selected' : 'filtered out',
            v.replicas,
            v.feasible ? v.score : null,
            v.availableReplicas,
            v.reasons.join('; '),
          ];
        }),
      ),
    );
    main.appendChild(
      tableOr(
        'No override policy applies to it.',
        'Overrides per cluster',
        ['cluster', 'rules applied', 'problems'],
        w.overrides.map(function (o) {
          return [
            o.cluster,
            o.applied
              .map(function (a) {
                return a.policy + ' rule ' + a.rule + ': ' + a.overriders.join(', ');
              })
              .join('; ') || '-',
            o.problems.join('; ') || '-',
          ];
        }),
      ),
    );
    main.appendChild(
      tableOr(
        'Live health: every object the last pass read is Healthy, or no live cluster is configured.',
        'Live health (not Healthy)',
        ['cluster', 'health', 'message'],
        w.health.map(function (h) {
          return [h.cluster, h.health, h.message];
        }),
      ),
    );
  }
  function history(h) {
    main.textContent = '';
    main.focus();
    main.appendChild(el('h2', { text: 'History' }));
    if (!h.entries.length) {
      main.appendChild(el('p', { className: 'muted', text: 'The status branch has no commit yet.' }));
      return;
    }
    var list = el('ol', { className: 'timeline' });
    h.entries.forEach(function (e) {
      var counts = e.objects
        ? e.objects.total +
          ' objects (' +
          e.objects.created +
          ' created, ' +
          e.objects.configured +
          ' configured, ' +
          e.objects.deleted +
          ' deleted' +
          (e.objects.failed ? ', ' + e.objects.failed + ' failed' : '') +
          ')'
        : '';
      var changed = e.changed.length
        ? el('details', null, [
            el('summary', {
              text:
                'What changed: ' + (e.changed.length + e.moreChanged) + ' placement' + (e.changed.length + e.moreChanged === 1 ? '' : 's'),
            }),
            el(
              'ul',
              null,
              e.changed
                .map(function (c) {
                  return el('li', null, [el('a', { href: '#/workload/' + encodeURIComponent(c), text: c })]);
                })
                .concat(e.moreChanged ? [el('li', { text: '… and ' + e.moreChanged + ' more' })] : []),
            ),
          ])
        : el('p', { className: 'muted', text: 'No placement changed.' });
      list.appendChild(
        el('li', { 'data-commit': e.commit }, [
          el('p', null, [
            el('span', { className: 'phase ' + (e.phase || ''), text: e.phase || '?' }),
            ' ',
            el('code', { text: short(e.revision) }),
            ' · ' + e.at + (e.reason ? ' · ' + e.reason : ''),
          ]),
          el('p', { text: e.message }),
          el('p', { className: 'muted' }, [
            counts,
            el('span', { className: 'commit', text: (counts ? ' · ' : '') + 'status commit ' + short(e.commit) }),
          ]),
          changed,
        ]),
      );
    });
    main.appendChild(list);
  }
  function askToken(message) {
    main.textContent = '';
    var input = el('input', { id: 'token', type: 'password', autocomplete: 'off' });
    main.appendChild(
      el(
        'form',
        {
          className: 'login',
          onsubmit: function (e) {
            e.preventDefault();
            state.token = input.value;
            try {
              sessionStorage.setItem('flotilla-token', state.token);
            } catch (x) {
              /* private mode */
            }
            route();
            listen();
          },
        },
        [
          el('p', { text: message }),
          el('label', { for: 'token', text: 'Bearer token' }),
          input,
          el('button', { type: 'submit', text: 'Open' }),
        ],
      ),
    );
    input.focus();
  }
  function failed(e) {
    if (e && e.unauthorized) return askToken('This dashboard requires a bearer token.');
    main.textContent = '';
    main.appendChild(el('p', { role: 'alert', text: 'Could not load: ' + (e && e.message ? e.message : e) }));
  }
  function route() {
    var hash = location.hash || '#/';
    var m = /^#\/workload\/(.+)$/.exec(hash);
    if (m) return getJson('workload?ref=' + m[1]).then(workload, failed);
    if (hash === '#/history') return getJson('history').then(history, failed);
    return getJson('fleet').then(function (d) {
      state.fleet = d;
      overview(d);
      document.body.setAttribute('data-revision', d.status ? d.status.sourceRevision : '');
    }, failed);
  }
  var listening = false;
  function listen() {
    if (listening) return;
    listening = true;
    fetch(api('events'), { headers: headers(), cache: 'no-store' })
      .then(function (res) {
        // A refused token is not retried: the page asks for another one when it next loads data.
        if (res.status === 401) return;
        if (!res.ok || !res.body) throw new Error('events: HTTP ' + res.status);
        var reader = res.body.getReader(),
          decoder = new TextDecoder(),
          buffer = '';
        function pump() {
          return reader.read().then(function (r) {
            if (r.done) throw new Error('closed');
            buffer += decoder.decode(r.value, { stream: true });
            var i;
            while ((i = buffer.indexOf('\n\n')) >= 0) {
              onEvent(buffer.slice(0, i));
              buffer = buffer.slice(i + 2);
            }
            return pump();
          });
        }
        return pump();
      })
      .then(
        function () {
          listening = false;
        },
        function () {
          // The service restarted or a proxy cut the stream: reconnect, and reload what is shown.
          listening = false;
          setTimeout(function () {
            listen();
            route();
          }, 3000);
        },
      );
  }
  function onEvent(chunk) {
    var type = 'message',
      data = '';
    chunk.split('\n').forEach(function (line) {
      if (line.indexOf('event:') === 0) type = line.slice(6).trim();
      else if (line.indexOf('data:') === 0) data += line.slice(5).trim();
    });
    if (type !== 'pass') return;
    var pass = {};
    try {
      pass = JSON.parse(data);
    } catch (e) {
      pass = {};
    }
    announce('Reconcile pass finished: ' + (pass.phase || '') + ' at ' + short(pass.revision));
    route();
  }

  // ---- the report
  function report(d) {
    main.textContent = '';
    if (d.plan) {
      var s = d.plan.summary;
      main.appendChild(el('h2', { text: 'Plan: ' + short(d.plan.base.revision) + ' → ' + short(d.plan.head.revision) }));
      main.appendChild(
        el('p', {
          className: 'summary',
          text: s.changed
            ? s.workloadsChanged +
              ' workload(s) placed differently, ' +
              s.replicasMoved +
              ' replica(s) moved, ' +
              s.objectsAdded +
              ' object(s) added, ' +
              s.objectsRemoved +
              ' removed, ' +
              s.objectsChanged +
              ' changed on ' +
              s.clustersAffected +
              ' cluster(s)'
            : 'No change.',
        }),
      );
      main.appendChild(el('h2', { text: 'Risks' }));
      main.appendChild(
        d.plan.risks.length
          ? el(
              'ul',
              { className: 'risks' },
              d.plan.risks.map(function (r) {
                return el('li', null, [el('strong', { text: r.code }), ' ' + r.message]);
              }),
            )
          : el('p', { className: 'muted', text: 'No risk found.' }),
      );
    } else {
      main.appendChild(el('h2', { text: 'Render of ' + short(d.matrix.revision) }));
    }
    main.appendChild(el('h2', { text: 'Placements' + (d.plan ? ' (base → head, changed cells highlighted)' : '') }));
    matrixSection(d.matrix);
    main.appendChild(el('h2', { text: 'Diagnostics' }));
    main.appendChild(diagnostics(d.diagnostics));
  }

  if (cfg.mode === 'report') {
    report(JSON.parse(document.getElementById('flotilla-data').textContent));
  } else {
    window.addEventListener('hashchange', route);
    if (cfg.tokenRequired && !state.token) askToken('This dashboard requires a bearer token.');
    else {
      route();
      listen();
    }
  }
})();
`;
