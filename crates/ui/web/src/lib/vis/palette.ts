// Kibana's default categorical palette (EUI's colour-blind safe palette, `euiPaletteColorBlind`)
// and the label colour that reads on each slice or bar (WCAG AA, 4.5:1).

import { contrastRatio } from '../contrast';

export const PALETTE: readonly string[] = [
  '#54b399', '#6092c0', '#d36086', '#9170b8', '#ca8eae', '#d6bf57', '#b9a888', '#da8b45', '#aa6556', '#e7664c',
];

/** The colour of the i-th series or slice (the palette repeats). */
export function paletteColor(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
}

/** The "Other" bucket's colour (neutral, so it is not mistaken for a term). */
export const OTHER_COLOR = '#a2abba';

export const DARK_LABEL = '#000000';
export const LIGHT_LABEL = '#ffffff';

/** The label colour for text drawn on `background`: dark or white, whichever contrasts more. */
export function labelColor(background: string): string {
  return contrastRatio(DARK_LABEL, background) >= contrastRatio(LIGHT_LABEL, background) ? DARK_LABEL : LIGHT_LABEL;
}

/** The heat map's scale, light to dark (EUI's "cool" sequential palette). */
export const HEAT_SCALE: readonly string[] = ['#ecf1f7', '#c5d5e6', '#9eb9d6', '#779dc6', '#5081b5', '#2c5f96', '#173f6b'];
