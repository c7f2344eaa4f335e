import { warning } from './scenarios/warning';
import { runScenarios } from './support/test';

runScenarios(warning);
