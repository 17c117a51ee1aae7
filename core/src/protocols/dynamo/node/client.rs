//! A client actor: one operation at a time (later ones queue), `ctx=last` resolution, timeouts,
//! and the history the checkers and the CAP table read.

use super::*;

impl KvClient {
    pub(super) fn client(&mut self) -> &mut ClientState {
        &mut self.st
    }

    pub(super) fn client_start_next(&mut self, ctx: &mut Ctx<'_, Dynamo>) {
        let timeout = self.config.client_timeout_ms;
        let c = self.client();
        if c.current.is_some() {
            return;
        }
        let Some((client, request, invoked)) = c.queue.pop_front() else {
            return;
        };
        let req = c.next_req;
        c.next_req += 1;
        let to = request.node;
        let mut request = request;
        if let KvOp::Put {
            key,
            ctx: wctx,
            ctx_last: last @ true,
            ..
        } = &mut request.op
        {
            // Read-modify-write: supersede what this client last read of the key.
            *wctx = c
                .history
                .iter()
                .rev()
                .find_map(|r| match &r.reply {
                    KvReply::Read { key: k, ctx, .. } if k == key => Some(ctx.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            *last = false;
        }
        let op = request.op.clone();
        c.current = Some(Current {
            req,
            client,
            request,
            invoked,
            sent: ctx.now,
            retries: 0,
        });
        ctx.send(
            to,
            KvMsg::ClientOp {
                req,
                op: Box::new(op),
            },
        );
        ctx.set_timer(KvTimer::ClientWait(req), timeout);
    }

    pub(super) fn client_finish(&mut self, ctx: &mut Ctx<'_, Dynamo>, reply: KvReply) {
        let now = ctx.now;
        match &reply {
            KvReply::Written { .. } => ctx.count("writes_acked"),
            KvReply::Read { values, .. } if values.len() > 1 => ctx.count("siblings_read"),
            KvReply::Read { .. } => ctx.count("reads_ok"),
            KvReply::Failed { .. } => ctx.count("ops_failed"),
        }
        let c = self.client();
        let Some(cur) = c.current.take() else {
            return;
        };
        let index = c.index;
        c.history.push(OpRecord {
            client: index,
            node: cur.request.node,
            op: cur.request.op,
            invoked: cur.invoked,
            sent: cur.sent,
            completed: now,
            reply: reply.clone(),
        });
        ctx.cancel_timer(KvTimer::ClientWait(cur.req));
        ctx.reply(cur.client, reply);
        self.client_start_next(ctx);
    }

    pub(super) fn client_request(
        &mut self,
        ctx: &mut Ctx<'_, Dynamo>,
        client: ClientId,
        request: KvRequest,
    ) {
        let default_n = self.n(ctx.servers.len());
        let now = ctx.now;
        let refuse = |reason: String| KvReply::Failed {
            key: request.op.key().to_string(),
            reason,
            unknown: false,
        };
        let problem = if request.node.index() >= ctx.servers.len() || request.node.is_client() {
            Some(format!("{} is not a server of this cluster", request.node))
        } else {
            request
                .op
                .consistency()
                .resolve(default_n, ctx.servers.len())
                .err()
                .map(|e| format!("invalid request: {e}"))
        };
        let c = self.client();
        let problem = problem.or_else(|| {
            (c.queue.len() >= CLIENT_QUEUE)
                .then(|| format!("too many operations queued (at most {CLIENT_QUEUE})"))
        });
        if let Some(reason) = problem {
            let reply = refuse(reason);
            c.history.push(OpRecord {
                client: c.index,
                node: request.node,
                op: request.op.clone(),
                invoked: now,
                sent: now,
                completed: now,
                reply: reply.clone(),
            });
            ctx.reply(client, reply);
            return;
        }
        c.queue.push_back((client, request, now));
        self.client_start_next(ctx);
    }
}
