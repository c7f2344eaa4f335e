import { detection } from './scenarios/detection';
import { runScenarios } from './support/test';

runScenarios(detection);
