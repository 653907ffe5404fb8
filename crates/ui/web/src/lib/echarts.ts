// The ECharts parts every visualization uses (bars, grid, tooltip, brush), registered once; only
// Visualize and Dashboard load them (vis/echartsVis.ts): Discover draws its histogram itself.
import { BarChart } from 'echarts/charts';
import { BrushComponent, GridComponent, TooltipComponent } from 'echarts/components';
import { init, use } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

use([BarChart, GridComponent, TooltipComponent, BrushComponent, CanvasRenderer]);

export { init };
export type { ECharts } from 'echarts/core';
