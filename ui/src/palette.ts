/**
 * The dashboard's colours, in a module of their own (no DOM): the charts use them, and the browser
 * tests count their pixels in screenshots.
 */

/** Line colours with enough contrast on white, distinguishable without red/green alone. */
export const COLORS = ['#1f5fbf', '#d1495b', '#2e8540', '#8e44ad', '#e07b00', '#00838f'];

/** The solved line of a reinforce chart. */
export const SOLVED_COLOR = '#2e8540';

/** Contour bands, light to dark (viridis stops): each band of the objective one colour. */
export const BANDS = [
  '#fde725', '#b5de2b', '#6ece58', '#35b779', '#1f9e89', '#26828e', '#31688e', '#3e4989', '#482878', '#440154',
];

/** The trajectory on the contour plot: a red no band uses. */
export const TRAJECTORY = '#ff1744';
