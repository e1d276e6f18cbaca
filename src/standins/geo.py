"""The road graph: a jittered grid of walkable nodes with lakes and missing links.

Nodes sit about 150 m apart. Some links are missing and a few lakes remove whole areas,
so walking distance differs from the straight line, as on real lit, winter-maintained paths.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from dataclasses import dataclass, field

SPACING_M = 150.0


@dataclass
class RoadGraph:
    """Undirected graph over grid nodes ``y * width + x``; edge weights in metres."""

    width: int
    height: int
    xy: list[tuple[float, float]]
    adjacency: list[list[tuple[int, int]]]
    reachable: list[bool]
    _cache: dict[int, list[float]] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, rng: random.Random, width: int = 64, height: int = 60) -> RoadGraph:
        xy = [
            (x * SPACING_M + rng.uniform(-25, 25), y * SPACING_M + rng.uniform(-25, 25))
            for y in range(height)
            for x in range(width)
        ]
        water = _lakes(rng, width, height)
        adjacency: list[list[tuple[int, int]]] = [[] for _ in xy]
        for y in range(height):
            for x in range(width):
                a = y * width + x
                if a in water:
                    continue
                for dx, dy in ((1, 0), (0, 1)):
                    if x + dx >= width or y + dy >= height:
                        continue
                    b = (y + dy) * width + x + dx
                    if b in water or rng.random() < 0.12:  # missing link
                        continue
                    (ax, ay), (bx, by) = xy[a], xy[b]
                    # paths wind a little: up to 30 % longer than the straight line
                    w = round(math.hypot(ax - bx, ay - by) * rng.uniform(1.0, 1.3))
                    adjacency[a].append((b, w))
                    adjacency[b].append((a, w))
        graph = cls(width, height, xy, adjacency, [False] * len(xy))
        graph.reachable = graph._main_component()
        return graph

    def node(self, x: int, y: int) -> int:
        return y * self.width + x

    def grid_xy(self, node: int) -> tuple[int, int]:
        return node % self.width, node // self.width

    def nearest_reachable(self, x: int, y: int) -> int:
        """The reachable node closest (in grid steps) to ``(x, y)``."""
        best, best_d = -1, math.inf
        for n, ok in enumerate(self.reachable):
            if ok:
                nx, ny = self.grid_xy(n)
                d = (nx - x) ** 2 + (ny - y) ** 2
                if d < best_d:
                    best, best_d = n, d
        return best

    def distances_from(self, source: int) -> list[float]:
        """Shortest walking distance (m) from ``source`` to every node (Dijkstra, cached)."""
        cached = self._cache.get(source)
        if cached is not None:
            return cached
        dist = [math.inf] * len(self.xy)
        dist[source] = 0.0
        heap = [(0.0, source)]
        adjacency = self.adjacency
        while heap:
            d, a = heapq.heappop(heap)
            if d > dist[a]:
                continue
            for b, w in adjacency[a]:
                nd = d + w
                if nd < dist[b]:
                    dist[b] = nd
                    heapq.heappush(heap, (nd, b))
        if len(self._cache) > 512:
            self._cache.clear()
        self._cache[source] = dist
        return dist

    def distance(self, a: int, b: int) -> float:
        if b in self._cache:
            return self._cache[b][a]
        return self.distances_from(a)[b]

    def _main_component(self) -> list[bool]:
        seen = [False] * len(self.xy)
        best: list[int] = []
        for start in range(len(self.xy)):
            if seen[start] or not self.adjacency[start]:
                continue
            seen[start] = True
            component, queue = [start], deque([start])
            while queue:
                for b, _ in self.adjacency[queue.popleft()]:
                    if not seen[b]:
                        seen[b] = True
                        component.append(b)
                        queue.append(b)
            if len(component) > len(best):
                best = component
        reachable = [False] * len(self.xy)
        for n in best:
            reachable[n] = True
        return reachable


def _lakes(rng: random.Random, width: int, height: int) -> set[int]:
    """Nodes under water: a few ellipses, placed from the seed, away from the borders."""
    water: set[int] = set()
    for cx, cy, rx, ry in ((0.42, 0.50, 5, 3), (0.60, 0.22, 3, 5), (0.26, 0.80, 4, 3)):
        cx = cx * width + rng.uniform(-3, 3)
        cy = cy * height + rng.uniform(-3, 3)
        for y in range(height):
            for x in range(width):
                if ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1.0:
                    water.add(y * width + x)
    return water
