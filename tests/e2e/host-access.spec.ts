import { hostAccess } from './scenarios/host-access';
import { runScenarios } from './support/test';

runScenarios(hostAccess);
