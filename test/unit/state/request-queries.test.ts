import { createMemoryRequestQueries, createMemoryRequestStore } from '../../../shared/state/memory';
import { describeRequestQueriesContract } from '../../contracts/request-queries';
import { memorySubject } from './memory-subject';

describeRequestQueriesContract(
  'in memory',
  memorySubject((table, now) => ({
    requests: createMemoryRequestStore(table, now),
    queries: createMemoryRequestQueries(table),
  })),
);
