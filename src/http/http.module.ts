import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProblemDetailsFilter } from './problem-details.filter';
import { RequestValidationPipe } from './request-validation.pipe';
import { SignatureGuard } from './signature.guard';
import { SpentSignature } from './spent-signature.entity';
import { SpentSignaturesService } from './spent-signatures.service';

/**
 * Cross-cutting HTTP concerns for every route: request signatures (and the one-use record of them,
 * `spent_signatures`), validation and problem+json errors.
 */
@Module({
  imports: [TypeOrmModule.forFeature([SpentSignature])],
  providers: [
    SpentSignaturesService,
    { provide: APP_GUARD, useClass: SignatureGuard },
    { provide: APP_PIPE, useClass: RequestValidationPipe },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
  ],
})
export class HttpModule {}
