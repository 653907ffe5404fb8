// The ECharts parts visualizations add to Discover's (its own lazy chunk: Discover does not load it).
import { HeatmapChart, LineChart, PieChart } from 'echarts/charts';
import { VisualMapContinuousComponent } from 'echarts/components';
import { use } from 'echarts/core';
import { init } from '../echarts';

use([LineChart, PieChart, HeatmapChart, VisualMapContinuousComponent]);

export { init };
export type { ECharts } from 'echarts/core';
