import { Subject } from 'rxjs';
import { AttemptLease } from './attempt-lease';

/** Lets the lease's pending promises settle (its checks are a few awaits deep). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('AttemptLease', () => {
  let lease: AttemptLease | undefined;
  afterEach(() => lease?.release());

  it('checks at once when a watched change comes, long before its next poll, and is lost when the attempt is not current', async () => {
    let current = true;
    const isCurrent = jest.fn(() => Promise.resolve(current));
    const changes = new Subject<void>();
    lease = new AttemptLease(isCurrent, new AbortController().signal);
    lease.watch(changes);
    await settle();
    expect(isCurrent).toHaveBeenCalledTimes(1);
    expect(lease.lost).toBe(false);

    current = false;
    changes.next();
    await settle();

    expect(isCurrent).toHaveBeenCalledTimes(2);
    expect(lease.lost).toBe(true);
  });

  it('checks again after a check in flight when a change comes meanwhile: the change is never dropped', async () => {
    const answers: ((current: boolean) => void)[] = [];
    const isCurrent = jest.fn(() => new Promise<boolean>((resolve) => answers.push(resolve)));
    const changes = new Subject<void>();
    lease = new AttemptLease(isCurrent, new AbortController().signal);
    lease.watch(changes);
    expect(isCurrent).toHaveBeenCalledTimes(1);

    // The cancel commits while the first check is still reading the row as it was.
    changes.next();
    changes.next();
    answers[0](true);
    await settle();
    expect(isCurrent).toHaveBeenCalledTimes(2);
    answers[1](false);
    await settle();

    expect(lease.lost).toBe(true);
  });

  it('stops watching once released', async () => {
    const isCurrent = jest.fn(() => Promise.resolve(true));
    const changes = new Subject<void>();
    lease = new AttemptLease(isCurrent, new AbortController().signal);
    lease.watch(changes);
    await settle();
    lease.release();

    changes.next();
    lease.watch(new Subject<void>());
    await settle();

    expect(isCurrent).toHaveBeenCalledTimes(1);
    expect(changes.observed).toBe(false);
  });

  it('is lost when the queue takes the job back, whatever the row says', () => {
    const queue = new AbortController();
    lease = new AttemptLease(() => Promise.resolve(true), queue.signal);

    queue.abort(new Error('shutdown'));

    expect(lease.lost).toBe(true);
  });
});
