import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../api-fields/api-problems.decorator';
import { ProblemDetailsDto } from '../api-fields/problem-details.dto';
import { ListWebhookDeliveriesQuery } from './dto/list-webhook-deliveries.query';
import { WEBHOOK_EVENT_BODIES } from './dto/webhook-event.body';
import { WebhookDeliveryListResponse } from './dto/webhook-delivery-list.response';
import { WebhookDeliveryParams } from './dto/webhook-delivery.params';
import { WebhookDeliveryResponse } from './dto/webhook-delivery.response';
import { WebhookDeliveryReadsService } from './webhook-delivery-reads.service';
import { WebhookRedeliveryService } from './webhook-redelivery.service';

const EVENT_BODIES =
  'Each event is POSTed to every WEBHOOK_URL as Standard Webhooks v1 (headers `webhook-id` = `eventId`, ' +
  '`webhook-timestamp`, `webhook-signature`), its JSON body one of the schemas ' +
  WEBHOOK_EVENT_BODIES.map(({ name }) => `\`#/components/schemas/${name}\``).join(', ') +
  '; the typed client’s `verifyWebhook` checks and parses it.';

@ApiTags('webhooks')
@ApiExtraModels(ProblemDetailsDto, ...WEBHOOK_EVENT_BODIES)
@Controller('v1/webhooks/deliveries')
export class WebhookDeliveriesController {
  constructor(
    private readonly reads: WebhookDeliveryReadsService,
    private readonly redeliveries: WebhookRedeliveryService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Webhook deliveries, newest first, with every attempt',
    description:
      'Service-wide (no `userId`): one item per event and endpoint, where it stands and what each attempt got. ' +
      `Cursor pagination: pass each page’s \`nextCursor\` as \`cursor\` until it is absent. ${EVENT_BODIES}`,
  })
  @ApiOkResponse({ description: 'One page of deliveries.', type: WebhookDeliveryListResponse })
  @ApiProblems('validation_failed', 'database_unavailable')
  list(@Query() { limit, cursor }: ListWebhookDeliveriesQuery): Promise<WebhookDeliveryListResponse> {
    return this.reads.list({ limit, cursor });
  }

  @Post(':deliveryId/redeliver')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Send a webhook delivery again',
    description:
      'Makes the delivery `pending` and due now, whatever its status: the same event, so the same `webhook-id` and ' +
      'body (a receiver that already has it drops it), and its attempts count on. When its endpoint was turned off ' +
      'by a 410, turns the endpoint back on and makes every `disabled` delivery to it pending again (what the 410 ' +
      'disabled and what was recorded while it was off), each project’s in order. No body. A repeat changes ' +
      'nothing more than making it due again. An endpoint no longer in WEBHOOK_URL is sent nothing until it is again.',
  })
  @ApiAcceptedResponse({ description: 'The delivery, pending (as the list reads it).', type: WebhookDeliveryResponse })
  @ApiProblems(
    'validation_failed',
    'delivery_not_found',
    'payload_too_large',
    'unsupported_media_type',
    'database_unavailable',
  )
  redeliver(@Param() { deliveryId }: WebhookDeliveryParams): Promise<WebhookDeliveryResponse> {
    return this.redeliveries.redeliver(deliveryId);
  }
}
