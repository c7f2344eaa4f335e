import { hostAccess } from '../scenarios/host-access';
import { runScenarios } from '../support/firefox';

runScenarios(hostAccess);
