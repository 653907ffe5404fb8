// ECharts for Visualize and Dashboard: the common parts (../echarts) and line, pie and heat map, in
// one lazy chunk (Discover does not load it).
import { HeatmapChart, LineChart, PieChart } from 'echarts/charts';
import { VisualMapContinuousComponent } from 'echarts/components';
import { use } from 'echarts/core';
import { init } from '../echarts';

use([LineChart, PieChart, HeatmapChart, VisualMapContinuousComponent]);

export { init };
export type { ECharts } from 'echarts/core';
