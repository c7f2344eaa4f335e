import { updates } from './scenarios/updates';
import { runScenarios } from './support/test';

runScenarios(updates);
