/**
 * Draws a small directed graph (a model's neighbourhood around a finding) as inline SVG.
 *
 * Layout is dagre's layered (Sugiyama) algorithm. Chosen by measurement on a 2-vCPU machine:
 * dagre lays out 150 nodes in ~0.2–0.3 s and 1,000 in ~2.5 s and overflows its recursion near
 * 2,000; elkjs's layered layout took 0.3–0.6 s at 150 and ~4 s at 1,000. Neither can draw a
 * 50,000-node model, and a reviewer could not read one, so callers pass a neighbourhood of at most
 * MAX_DRAWN_NODES (graph-view builders collapse the rest into labelled boxes), and a layout that
 * fails anyway falls back to a plain rank-by-depth grid rather than failing the report.
 */
import dagre from '@dagrejs/dagre'

import {cls, text} from './escape.js'

export const MAX_DRAWN_NODES = 160

export type DrawnNodeKind = 'op' | 'io' | 'collapsed'

export interface DrawnNode {
  /** Main line (op type, input name, "312 more nodes"). Untrusted. */
  label: string
  /** Second line (node name). Untrusted. */
  sublabel?: string
  /** Hover text: names, inputs, outputs. Untrusted. */
  hover: string
  kind: DrawnNodeKind
  highlighted: boolean
}

export interface DrawnEdge {
  from: number
  to: number
  highlighted: boolean
}

export interface GraphDrawing {
  nodes: DrawnNode[]
  edges: DrawnEdge[]
}

const NODE_W = 150
const NODE_H = 38
const LABEL_CHARS = 22

interface Box {
  x: number
  y: number
  w: number
  h: number
}

function layoutDagre(g: GraphDrawing): {boxes: Box[]; routes: {x: number; y: number}[][]; width: number; height: number} {
  const dg = new dagre.graphlib.Graph({multigraph: true})
  dg.setGraph({rankdir: 'TB', nodesep: 24, ranksep: 36, marginx: 16, marginy: 16})
  dg.setDefaultEdgeLabel(() => ({}))
  // Keys are indices, never node names: untrusted names such as "__proto__" stay out of dagre's maps.
  g.nodes.forEach((_, i) => dg.setNode(`n${i}`, {width: NODE_W, height: NODE_H}))
  g.edges.forEach((e, i) => dg.setEdge(`n${e.from}`, `n${e.to}`, {}, `e${i}`))
  dagre.layout(dg)
  const boxes = g.nodes.map((_, i) => {
    const n = dg.node(`n${i}`) as {x: number; y: number}
    return {x: n.x - NODE_W / 2, y: n.y - NODE_H / 2, w: NODE_W, h: NODE_H}
  })
  const routes = g.edges.map((e, i) => (dg.edge({v: `n${e.from}`, w: `n${e.to}`, name: `e${i}`}) as {points?: {x: number; y: number}[]}).points ?? [])
  const gg = dg.graph() as {width?: number; height?: number}
  return {boxes, routes, width: gg.width ?? 0, height: gg.height ?? 0}
}

/** Longest-path ranks in a grid: always terminates, used only if dagre fails. */
function layoutGrid(g: GraphDrawing): {boxes: Box[]; routes: {x: number; y: number}[][]; width: number; height: number} {
  const rank = new Array<number>(g.nodes.length).fill(0)
  for (let pass = 0; pass < g.nodes.length; pass++) {
    let changed = false
    for (const e of g.edges)
      if (e.from !== e.to && rank[e.to] < rank[e.from] + 1 && rank[e.from] + 1 < g.nodes.length) (rank[e.to] = rank[e.from] + 1), (changed = true)
    if (!changed) break
  }
  const perRank = new Map<number, number>()
  const boxes = rank.map((r) => {
    const col = perRank.get(r) ?? 0
    perRank.set(r, col + 1)
    return {x: 16 + col * (NODE_W + 24), y: 16 + r * (NODE_H + 36), w: NODE_W, h: NODE_H}
  })
  const center = (b: Box) => ({x: b.x + b.w / 2, y: b.y + b.h / 2})
  const routes = g.edges.map((e) => [center(boxes[e.from]), center(boxes[e.to])])
  const width = Math.max(...boxes.map((b) => b.x + b.w), 0) + 16
  const height = Math.max(...boxes.map((b) => b.y + b.h), 0) + 16
  return {boxes, routes, width, height}
}

function clip(label: string): string {
  return label.length > LABEL_CHARS ? `${label.slice(0, LABEL_CHARS - 1)}…` : label
}

const num = (v: number) => (Number.isFinite(v) ? Math.round(v * 10) / 10 : 0)

/** Renders the drawing as an <svg> element string; every label is escaped text. */
export function renderGraphSvg(g: GraphDrawing, title: string): string {
  if (g.nodes.length > MAX_DRAWN_NODES) throw new Error(`internal: ${g.nodes.length} nodes exceed the drawing cap ${MAX_DRAWN_NODES}`)
  let layout
  try {
    layout = layoutDagre(g)
  } catch {
    layout = layoutGrid(g)
  }
  const parts: string[] = []
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(layout.width)}" height="${num(layout.height)}" viewBox="0 0 ${num(layout.width)} ${num(layout.height)}" role="img" aria-label="${text(title, 200)}">`,
  )
  parts.push(
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="g-arrow" d="M0,0L10,5L0,10z"/></marker>',
  )
  parts.push(
    '<marker id="arrow-hl" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="g-arrow-hl" d="M0,0L10,5L0,10z"/></marker></defs>',
  )
  // Plain edges first so highlighted ones are drawn on top.
  const order = g.edges.map((_, i) => i).sort((a, b) => Number(g.edges[a].highlighted) - Number(g.edges[b].highlighted))
  for (const i of order) {
    const pts = layout.routes[i]
    if (pts.length < 2) continue
    const hl = g.edges[i].highlighted
    parts.push(
      `<polyline class="${cls('g-edge', hl && 'g-hl')}" marker-end="url(#${hl ? 'arrow-hl' : 'arrow'})" points="${pts.map((p) => `${num(p.x)},${num(p.y)}`).join(' ')}"/>`,
    )
  }
  g.nodes.forEach((n, i) => {
    const b = layout.boxes[i]
    const c = cls('g-node', n.highlighted && 'g-hl', n.kind === 'io' && 'g-io', n.kind === 'collapsed' && 'g-collapsed')
    parts.push(`<g class="${c}" data-index="${i}"><title>${text(n.hover, 2000)}</title>`)
    parts.push(`<rect x="${num(b.x)}" y="${num(b.y)}" width="${b.w}" height="${b.h}" rx="${n.kind === 'io' ? 16 : 4}"/>`)
    const cx = num(b.x + b.w / 2)
    if (n.sublabel) {
      parts.push(`<text x="${cx}" y="${num(b.y + 15)}" text-anchor="middle">${text(clip(n.label))}</text>`)
      parts.push(`<text x="${cx}" y="${num(b.y + 30)}" text-anchor="middle">${text(clip(n.sublabel))}</text>`)
    } else {
      parts.push(`<text x="${cx}" y="${num(b.y + 23)}" text-anchor="middle">${text(clip(n.label))}</text>`)
    }
    parts.push('</g>')
  })
  parts.push('</svg>')
  return parts.join('')
}
