//! Group commit: concurrent calls of one kind gathered into one statement (one commit for many), each caller
//! still answered only once its own part is durable.

use std::{future::Future, sync::Arc};

use hub_domain::StorageError;
use tokio::sync::{Mutex, mpsc, oneshot};

type Reply<R> = oneshot::Sender<Result<R, StorageError>>;

/// Sends requests to writer tasks that each take what is waiting (up to `max`) and run it as one batch.
#[derive(Debug)]
pub(crate) struct Batcher<Q, R> {
    tx: mpsc::Sender<(Q, Reply<R>)>,
}

impl<Q, R> Clone for Batcher<Q, R> {
    fn clone(&self) -> Self {
        Self { tx: self.tx.clone() }
    }
}

impl<Q: Send + 'static, R: Send + 'static> Batcher<Q, R> {
    /// Spawns `writers` tasks running `run` on batches of at most `max` requests; `run` answers each request
    /// of its batch, in order. Several writers: while one batch waits for its commit (an fsync), the next is
    /// already being written. Needs a tokio runtime.
    pub(crate) fn spawn<F, Fut>(max: usize, writers: usize, run: F) -> Self
    where
        F: Fn(Vec<Q>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<R>, StorageError>> + Send,
    {
        let max = max.clamp(1, 1000);
        let (tx, rx) = mpsc::channel::<(Q, Reply<R>)>(max * 8);
        let rx = Arc::new(Mutex::new(rx));
        let run = Arc::new(run);
        for _ in 0..writers.max(1) {
            let (rx, run) = (rx.clone(), run.clone());
            tokio::spawn(async move {
                loop {
                    let batch = {
                        let mut rx = rx.lock().await;
                        let Some(first) = rx.recv().await else { return };
                        let mut batch = vec![first];
                        while batch.len() < max {
                            match rx.try_recv() {
                                Ok(next) => batch.push(next),
                                Err(_) => break,
                            }
                        }
                        batch
                    };
                    let (requests, replies): (Vec<Q>, Vec<Reply<R>>) = batch.into_iter().unzip();
                    let expected = requests.len();
                    match run(requests).await {
                        Ok(answers) if answers.len() == expected => {
                            for (reply, answer) in replies.into_iter().zip(answers) {
                                let _ = reply.send(Ok(answer));
                            }
                        }
                        Ok(answers) => {
                            let e = StorageError::Unexpected(format!(
                                "a batch of {expected} got {} answers",
                                answers.len()
                            ));
                            replies.into_iter().for_each(|r| drop(r.send(Err(e.clone()))));
                        }
                        Err(e) => replies.into_iter().for_each(|r| drop(r.send(Err(e.clone())))),
                    }
                }
            });
        }
        Self { tx }
    }

    /// Runs `request` in the next batch and returns its answer.
    pub(crate) async fn call(&self, request: Q) -> Result<R, StorageError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((request, reply))
            .await
            .map_err(|_| StorageError::Unavailable("the database writer has stopped".into()))?;
        answer.await.map_err(|_| StorageError::Unavailable("the database writer has stopped".into()))?
    }
}
