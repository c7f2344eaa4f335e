import { detection } from '../scenarios/detection';
import { runScenarios } from '../support/firefox';

runScenarios(detection);
