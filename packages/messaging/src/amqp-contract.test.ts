import { runBusContract } from './bus-contract.js';

runBusContract('amqp');
