import { firstRunOffline } from '../scenarios/first-run-offline';
import { runScenarios } from '../support/firefox';

runScenarios(firstRunOffline);
