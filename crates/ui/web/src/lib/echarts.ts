// The parts of ECharts Discover uses, registered once (keeps the bundle to what is drawn).
import { BarChart } from 'echarts/charts';
import { BrushComponent, GridComponent, TooltipComponent } from 'echarts/components';
import { init, use } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

use([BarChart, GridComponent, TooltipComponent, BrushComponent, CanvasRenderer]);

export { init };
export type { ECharts } from 'echarts/core';
