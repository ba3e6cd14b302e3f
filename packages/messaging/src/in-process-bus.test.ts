import { runBusContract } from './bus-contract.js';

runBusContract('in-process');
