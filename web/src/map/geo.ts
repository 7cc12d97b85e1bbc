/** Country shapes for the map, computed once from world-atlas (Natural Earth 1:110m) bundled with the console. */
import { geoEqualEarth, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import world from 'world-atlas/countries-110m.json';
import { alpha2FromNumeric } from '../i18n/index.js';

export const MAP_WIDTH = 960;
export const MAP_HEIGHT = 470;

export interface CountryShape {
  /** ISO 3166-1 alpha-2, or '' for shapes without one (N. Cyprus, Somaliland). */
  cc: string;
  name: string;
  d: string;
}

let cache: CountryShape[] | null = null;

export function countryShapes(): CountryShape[] {
  if (cache) return cache;
  const topo = world as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
  const fc = feature(topo, topo.objects.countries) as GeoJSON.FeatureCollection<GeoJSON.Geometry, { name: string }>;
  // Antarctica takes a fifth of the frame and holds no incidents.
  const features = fc.features.filter((f) => String(f.id) !== '010');
  const projection = geoEqualEarth().fitExtent(
    [
      [4, 4],
      [MAP_WIDTH - 4, MAP_HEIGHT - 4],
    ],
    { type: 'FeatureCollection', features },
  );
  const path = geoPath(projection);
  cache = features
    .map((f) => {
      const name = f.properties?.name ?? '';
      const cc = name === 'Kosovo' ? 'XK' : (alpha2FromNumeric(f.id as string | number | undefined) ?? '');
      return { cc, name, d: path(f) ?? '' };
    })
    .filter((s) => s.d);
  return cache;
}

/** Sequential classes, light to dark; index 0 is "no incidents". Colours chosen for contrast on white. */
export const MAP_COLOURS = ['#e8eaed', '#fde3c8', '#f9b98a', '#ef8650', '#d2522a', '#9e2a12'] as const;

/** Class breaks on a log scale so a few countries with thousands of incidents do not wash out the rest. */
export function classBreaks(max: number): number[] {
  if (max <= 0) return [];
  if (max <= 5) return Array.from({ length: max }, (_, i) => i + 1);
  const out: number[] = [1];
  for (let i = 1; i < 5; i++) {
    const v = Math.round(Math.exp((Math.log(max) * i) / 5));
    if (v > (out[out.length - 1] ?? 0)) out.push(v);
  }
  return out;
}

/** Colour class (0 = none) of a count given the lower bounds of each class. */
export function classOf(count: number, breaks: number[]): number {
  if (count <= 0) return 0;
  let c = 0;
  for (let i = 0; i < breaks.length; i++) if (count >= (breaks[i] ?? Infinity)) c = i + 1;
  return Math.min(c, MAP_COLOURS.length - 1);
}
